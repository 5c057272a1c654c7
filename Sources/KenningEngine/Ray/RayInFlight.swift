import Foundation

/// The Ray jobs this process is waiting on; Ctrl-C (SIGINT) or SIGTERM stops them on the cluster before the process exits.
final class RayInFlight: @unchecked Sendable {
    static let shared = RayInFlight()
    private let lock = NSLock()
    private var ids: Set<String> = []
    private var client: RayJobsClient?
    private var sources: [any DispatchSourceSignal] = []

    func install(client: RayJobsClient) {
        lock.lock()
        defer { lock.unlock() }
        guard self.client == nil else { return }
        self.client = client
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                stopAll()
                exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }

    func add(_ id: String) { lock.lock(); ids.insert(id); lock.unlock() }
    func remove(_ id: String) { lock.lock(); ids.remove(id); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return ids.count }

    func stopAll() {
        lock.lock()
        let (pending, client) = (ids, self.client)
        lock.unlock()
        for id in pending {
            FileHandle.standardError.write(Data("stopping Ray job \(id)\n".utf8))
            client?.stop(id)
        }
    }
}
