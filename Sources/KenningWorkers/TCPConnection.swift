#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A blocking TCP stream over POSIX sockets with a deadline on every read and write.
public final class TCPConnection {
    /// Why a connection could not be made or used.
    public enum Failure: Error, CustomStringConvertible {
        case connect(String)
        case timedOut(Double)
        case closed
        case io(String)

        public var description: String {
            switch self {
            case let .connect(s): return "cannot connect: \(s)"
            case let .timedOut(t): return String(format: "no answer within %.1f s", t)
            case .closed: return "the connection was closed by the other side"
            case let .io(s): return s
            }
        }
    }

    private var fd: Int32

    /// Connects to an IPv4 `host` (dotted quad or "localhost").
    public init(host: String, port: Int, timeout: Double) throws(Failure) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .connect(String(cString: strerror(errno))) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let ip = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, ip, &addr.sin_addr) == 1 else {
            closeFD(fd)
            throw .connect("\(host) is not an IPv4 address")
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0, errno != EINPROGRESS {
            let e = String(cString: strerror(errno))
            closeFD(fd)
            throw .connect("\(host):\(port): \(e)")
        }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        if rc != 0 {
            guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else {
                closeFD(fd)
                throw .connect("\(host):\(port): timed out")
            }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 {
                closeFD(fd)
                throw .connect("\(host):\(port): \(String(cString: strerror(err)))")
            }
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    deinit { close() }

    public func close() {
        if fd >= 0 {
            closeFD(fd)
            fd = -1
        }
    }

    private func wait(_ events: Int32, until deadline: Double, timeout: Double) throws(Failure) {
        while true {
            let left = deadline - Self.now()
            guard left > 0 else { throw .timedOut(timeout) }
            var pfd = pollfd(fd: fd, events: Int16(events), revents: 0)
            let rc = poll(&pfd, 1, Int32(min(left, 3600) * 1000) + 1)
            if rc > 0 { return }
            if rc < 0, errno != EINTR { throw .io("poll: \(String(cString: strerror(errno)))") }
        }
    }

    public func write(_ bytes: [UInt8], timeout: Double) throws(Failure) {
        guard fd >= 0 else { throw .closed }
        let deadline = Self.now() + timeout
        var sent = 0
        while sent < bytes.count {
            try wait(POLLOUT, until: deadline, timeout: timeout)
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw .closed }
                throw .io("send: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    /// Reads exactly `count` bytes.
    public func read(_ count: Int, timeout: Double) throws(Failure) -> [UInt8] {
        guard fd >= 0 else { throw .closed }
        let deadline = Self.now() + timeout
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            try wait(POLLIN, until: deadline, timeout: timeout)
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n == 0 { throw .closed }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                if errno == ECONNRESET { throw .closed }
                throw .io("recv: \(String(cString: strerror(errno)))")
            }
            got += n
        }
        return out
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// `close(2)`, named apart from the instance methods called `close`.
func closeFD(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
