import CXNNPACK
import KenningCore

@inline(__always)
func xnnCheck(_ status: xnn_status, _ call: StaticString, _ label: String) throws(KenningError) {
    if status != xnn_status_success {
        throw .failure("XNNPACK \(call) failed with status \(status.rawValue) for \(label)",
                       fix: "use backend \"onednn\" or \"reference\" for this model, and report the model")
    }
}

enum XNNPACKLibrary {
    /// `xnn_initialize` runs once per process (Swift initializes a static `let` exactly once, thread-safely), after the
    /// CPU ISA cap is applied.
    static let status: UInt32 = {
        guard case .success = LibraryISA.applied else { return xnn_status_unsupported_hardware.rawValue }
        return xnn_initialize(nil).rawValue
    }()
}
