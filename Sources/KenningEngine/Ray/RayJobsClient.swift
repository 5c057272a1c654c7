import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KenningCore

/// Ray's Jobs REST API (the dashboard's `/api/jobs/` and `/api/packages/`), over plain HTTP with a bearer token.
/// Calls block the calling thread (the search runs on threads of its own).
struct RayJobsClient: Sendable {
    let address: URL
    let token: String?
    /// Seconds one HTTP exchange may take.
    var requestTimeout = 30.0

    /// The answer of one exchange: status code and body, or why there was none.
    enum Reply: Sendable {
        case http(Int, Data)
        case unreachable(String)
    }

    func exchange(_ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json") -> Reply {
        guard let url = URL(string: path, relativeTo: address) else { return .unreachable("bad path \(path)") }
        var request = URLRequest(url: url, timeoutInterval: requestTimeout)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let box = ReplyBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.set(.unreachable(error.localizedDescription))
            } else {
                box.set(.http((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            }
            done.signal()
        }.resume()
        done.wait()
        return box.get() ?? .unreachable("no reply")
    }

    /// The reply as JSON when the status is 2xx; otherwise the error, classified.
    func json(_ method: String, _ path: String, body: JSONValue? = nil) throws(RayFailure) -> JSONValue {
        switch exchange(method, path, body: body.map { Data($0.serialized(indent: nil).utf8) }) {
        case let .unreachable(why):
            throw .unreachable("\(address.absoluteString): \(why)")
        case let .http(code, data):
            let text = String(decoding: data, as: UTF8.self)
            guard (200..<300).contains(code) else {
                if code == 401 || code == 403 { throw .unauthorized(text) }
                if code == 404 { throw .notFound(path) }
                throw .http(code, String(text.prefix(2000)))
            }
            do {
                return try JSONValue.parse(text.isEmpty ? "{}" : text)
            } catch {
                throw .http(code, "not JSON: \(text.prefix(200))")
            }
        }
    }

    func version() throws(RayFailure) -> JSONValue { try json("GET", "/api/version") }

    /// Submits a job; the reply's `submission_id`.
    func submit(_ job: RayJobRequest) throws(RayFailure) -> String {
        let reply = try json("POST", "/api/jobs/", body: job.json)
        return reply["submission_id"]?.stringValue ?? job.submissionID
    }

    func info(_ id: String) throws(RayFailure) -> RayJobInfo { RayJobInfo(try json("GET", "/api/jobs/\(id)")) }

    func logs(_ id: String) throws(RayFailure) -> String { try json("GET", "/api/jobs/\(id)/logs")["logs"]?.stringValue ?? "" }

    func stop(_ id: String) { _ = exchange("POST", "/api/jobs/\(id)/stop") }

    /// The cluster's CPUs in use and in all (the dashboard's cluster status), nil when it does not say.
    func cpus() -> (used: Double, total: Double)? {
        guard let usage = try? json("GET", "/api/cluster_status")["data"]?["clusterStatus"]?["loadMetricsReport"]?["usage"]?["CPU"]?.arrayValue,
              usage.count == 2, let used = usage[0].doubleValue, let total = usage[1].doubleValue else { return nil }
        return (used, total)
    }
}

/// One exchange's reply, handed from URLSession's queue to the waiting thread (the semaphore orders the accesses).
private final class ReplyBox: @unchecked Sendable {
    private var reply: RayJobsClient.Reply?
    private let lock = NSLock()
    func set(_ r: RayJobsClient.Reply) { lock.lock(); reply = r; lock.unlock() }
    func get() -> RayJobsClient.Reply? { lock.lock(); defer { lock.unlock() }; return reply }
}
