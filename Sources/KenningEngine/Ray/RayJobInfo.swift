import KenningCore

/// A job's state as `GET /api/jobs/{id}` reports it.
struct RayJobInfo: Sendable, Equatable {
    var status: String
    var errorType: String?
    var message: String?
    var exitCode: Int?

    init(_ json: JSONValue) {
        status = json["status"]?.stringValue ?? "UNKNOWN"
        errorType = json["error_type"]?.stringValue
        message = json["message"]?.stringValue
        exitCode = json["driver_exit_code"]?.intValue
    }

    var finished: Bool { ["SUCCEEDED", "FAILED", "STOPPED"].contains(status) }
}
