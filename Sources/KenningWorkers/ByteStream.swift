#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A blocking byte stream — a TCP connection or a serial line — with a deadline on every read and write.
///
/// Reads ask the descriptor for up to `packetSize` bytes at a time and keep what a read does not need yet, so a
/// message's header and payload usually arrive in one system call.
///
/// One thread uses a stream at a time; it may be handed to another thread whole (a server's accepted client).
public final class ByteStream: @unchecked Sendable {
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
    /// A socket (send/recv) or a character device such as a serial line (read/write).
    private let isSocket: Bool
    /// Bytes read from the descriptor and not yet handed out.
    private var buffered: [UInt8] = []
    private var bufferedStart = 0
    /// Bytes asked of the descriptor per read.
    public var packetSize = 65536

    /// Wraps an open descriptor (an accepted socket, a serial line); the stream closes it.
    public init(adopting fd: Int32, isSocket: Bool) {
        self.fd = fd
        self.isSocket = isSocket
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if isSocket {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Opens a serial line (or a pseudo-terminal) raw, 8N1, at `baudrate`.
    public static func serial(path: String, baudrate: Int) throws(Failure) -> ByteStream {
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw .connect("\(path): \(String(cString: strerror(errno)))") }
        var tio = termios()
        if tcgetattr(fd, &tio) == 0 {
            cfmakeraw(&tio)
            tio.c_cflag |= tcflag_t(CLOCAL | CREAD)
            if let speed = Self.speed(baudrate) {
                cfsetispeed(&tio, speed)
                cfsetospeed(&tio, speed)
            }
            tcsetattr(fd, TCSANOW, &tio)
        }
        return ByteStream(adopting: fd, isSocket: false)
    }

    /// The termios constant of a standard baud rate.
    static func speed(_ baud: Int) -> speed_t? {
        let table: [Int: Int32] = [9600: B9600, 19200: B19200, 38400: B38400, 57600: B57600, 115200: B115200, 230400: B230400,
                                   460800: B460800, 921600: B921600, 1_000_000: B1000000, 2_000_000: B2000000]
        return table[baud].map { speed_t($0) }
    }

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
        isSocket = true
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
            let n = bytes.withUnsafeBytes { b in
                isSocket ? send(fd, b.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                    : Glibc.write(fd, b.baseAddress! + sent, bytes.count - sent)
            }
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
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            if bufferedStart < buffered.count {
                let take = min(count - out.count, buffered.count - bufferedStart)
                out += buffered[bufferedStart..<(bufferedStart + take)]
                bufferedStart += take
                continue
            }
            try wait(POLLIN, until: deadline, timeout: timeout)
            // Large remainders go straight into `out`; small reads fill the buffer with what follows too.
            let want = max(count - out.count, packetSize)
            buffered = [UInt8](repeating: 0, count: want)
            bufferedStart = 0
            let n = buffered.withUnsafeMutableBytes { b in
                isSocket ? recv(fd, b.baseAddress!, want, 0) : Glibc.read(fd, b.baseAddress!, want)
            }
            if n == 0 { buffered = []; throw .closed }
            if n < 0 {
                buffered = []
                if errno == EAGAIN || errno == EINTR { continue }
                if errno == ECONNRESET || errno == EIO { throw .closed }
                throw .io("read: \(String(cString: strerror(errno)))")
            }
            buffered.removeSubrange(n...)
        }
        return out
    }

    /// Reads what is there (at least one byte, at most `packetSize`), waiting up to `timeout` seconds for it.
    public func readSome(timeout: Double) throws(Failure) -> [UInt8] {
        if bufferedStart < buffered.count { return takeBuffered() }
        return try read(1, timeout: timeout) + takeBuffered()
    }

    private func takeBuffered() -> [UInt8] {
        defer { buffered = []; bufferedStart = 0 }
        return bufferedStart < buffered.count ? Array(buffered[bufferedStart...]) : []
    }

    /// Waits up to `timeout` seconds for something to read (or for the other side to close); false when nothing came.
    public func waitReadable(timeout: Double) -> Bool {
        guard fd >= 0 else { return true }
        if bufferedStart < buffered.count { return true }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, Int32(max(0, min(timeout, 3600)) * 1000)) > 0
    }

    /// Sets `SO_LINGER` to zero and closes, so the other side sees a reset rather than an orderly close.
    public func abort() {
        guard fd >= 0, isSocket else { close(); return }
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    public static func now() -> Double {
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
