import Foundation
import KenningCore
import KenningModel

/// The reference backend's ops: each ONNX op key declared once, with the function that builds its kernel for a node.
/// What the native runtime supports is exactly this table's keys.
enum ReferenceOps {
    typealias Kernel = NativeSession.Kernel

    /// What a kernel may depend on besides its node: the model's default opset and the thread count.
    struct Context: Sendable {
        let opset: Int
        let threads: Int
    }

    /// Op key → kernel maker.
    struct Table: Sendable {
        typealias Maker = @Sendable (Node, Context) throws -> Kernel
        private(set) var makers: [String: Maker] = [:]

        /// Declares `keys` (op types, `domain.op` outside the default domain) as built by `make`.
        mutating func add(_ keys: String..., make: @escaping Maker) {
            for key in keys {
                precondition(makers[key] == nil, "op \(key) declared twice")
                makers[key] = make
            }
        }
    }

    static let table: Table = {
        var table = Table()
        registerActivations(&table)
        registerArithmetic(&table)
        registerMath(&table)
        registerIndexing(&table)
        registerResampling(&table)
        registerNeuralNetwork(&table)
        registerQuantized(&table)
        registerRecurrent(&table)
        registerTensor(&table)
        return table
    }()

    /// Every op key the reference backend runs.
    static var keys: Set<String> { Set(table.makers.keys) }

    /// The kernel of `node`; `KernelError` for an op without one.
    static func kernel(for node: Node, context: Context) throws -> Kernel {
        let op = NativeOps.key(node)
        guard let make = table.makers[op] else { throw KernelError(reason: "op \(op) has no kernel") }
        return try make(node, context)
    }

    static func required(_ args: [Tensor?], _ i: Int, _ what: String) throws -> Tensor {
        try NativeSession.required(args, i, what)
    }

}
