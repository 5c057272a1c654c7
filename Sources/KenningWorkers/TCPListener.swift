#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A listening IPv4 TCP socket.
public final class TCPListener {
    private var fd: Int32
    /// The port bound (the one asked for, or the system's pick for port 0).
    public let port: Int
    public let host: String

    /// Binds `host:port` (`localhost` is 127.0.0.1; `0.0.0.0` is every address) and listens.
    public init(host: String, port: Int) throws(ByteStream.Failure) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .connect(String(cString: strerror(errno))) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        let ip = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, ip, &addr.sin_addr) == 1 else {
            closeFD(fd)
            throw .connect("\(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            let e = String(cString: strerror(errno))
            closeFD(fd)
            throw .connect("cannot listen on \(host):\(port): \(e)")
        }
        var got = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &got) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: got.sin_port))
        self.host = ip
    }

    deinit { close() }

    public func close() {
        if fd >= 0 {
            closeFD(fd)
            fd = -1
        }
    }

    /// Waits up to `timeout` seconds for a client; nil when none came. Returns the stream and the peer's `ip:port`.
    public func accept(timeout: Double) -> (ByteStream, String)? {
        guard fd >= 0 else { return nil }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(max(0, min(timeout, 3600)) * 1000)) > 0 else { return nil }
        var peer = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let client = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &len) }
        }
        guard client >= 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &peer.sin_addr, &text, socklen_t(INET_ADDRSTRLEN))
        let name = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (ByteStream(adopting: client, isSocket: true), "\(name):\(UInt16(bigEndian: peer.sin_port))")
    }

    /// Whether `host` names a loopback address (127.0.0.0/8 or `localhost`).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.")
    }
}
