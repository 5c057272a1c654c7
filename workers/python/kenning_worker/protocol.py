"""Kenning runtime protocol: 12-byte little-endian header, message types, flags, ServerAction codes,
and chunking of payloads into FIRST...LAST messages of at most MAX_MESSAGE_SIZE bytes (header included).

Header layout (bytes):
  0-4   40-bit word: bits 0-37 message type, bits 38-39 flow control
  5     checksum (0 unless error recovery is on: 0x4B xor every other byte of the message)
  6-7   flags (uint16)
  8-11  payload size (uint32)
"""
import enum
import struct

HEADER_SIZE = 12
MAX_MESSAGE_SIZE = 1024
LARGEST_MESSAGE_SIZE = 65536   # the largest message read (header included); the host sends its local workers such ones
CHECKSUM_SEED = 0x4B
_TYPE_MASK = (1 << 38) - 1


class MessageType(enum.IntEnum):
    PING = 0
    STATUS = 1
    DATA = 2
    MODEL = 3
    PROCESS = 4
    OUTPUT = 5
    STATS = 6
    IO_SPEC = 7
    TRACE_DATA = 8
    OPTIMIZERS = 9
    OPTIMIZE_MODEL = 10
    RUNTIME = 11
    UNOPTIMIZED_MODEL = 12
    LOGS = 13


class FlowControl(enum.IntEnum):
    REQUEST = 0
    REQUEST_RETRANSMIT = 1
    ACKNOWLEDGE = 2
    TRANSMISSION = 3


class Flag(enum.IntFlag):
    SUCCESS = 1 << 0
    FAIL = 1 << 1
    IS_HOST_MESSAGE = 1 << 2
    HAS_PAYLOAD = 1 << 3
    FIRST = 1 << 4
    LAST = 1 << 5
    IS_KENNING = 1 << 6
    IS_ZEPHYR = 1 << 7
    SPEC_FLAG_1 = 1 << 12


class ServerAction(enum.IntEnum):
    WAITING_FOR_CLIENT = 0
    CLIENT_CONNECTED = 1
    UPLOADING_IOSPEC = 2
    UPLOADING_MODEL = 3
    UPLOADING_UNOPTIMIZED_MODEL = 4
    UPLOADING_INPUT = 5
    PROCESSING_INPUT = 6
    EXTRACTING_OUTPUT = 7
    COMPUTING_STATISTICS = 8
    OPTIMIZING_MODEL = 9
    UPLOADING_OPTIMIZERS = 10
    UPLOADING_RUNTIME = 11
    IDLE = 12


class ProtocolError(Exception):
    pass


def encode_header(mtype, flow, flags, size, checksum=0):
    word = (int(mtype) & _TYPE_MASK) | (int(flow) << 38)
    return word.to_bytes(5, "little") + bytes([checksum]) + struct.pack("<HI", int(flags), size)


def decode_header(raw):
    if len(raw) != HEADER_SIZE:
        raise ProtocolError(f"header must be {HEADER_SIZE} bytes, got {len(raw)}")
    word = int.from_bytes(raw[0:5], "little")
    flags, size = struct.unpack("<HI", raw[6:12])
    return word & _TYPE_MASK, (word >> 38) & 3, raw[5], flags, size


def checksum(message):
    """Checksum byte for a whole message whose byte 5 is still zero."""
    c = CHECKSUM_SEED
    for i, b in enumerate(message):
        if i != 5:
            c ^= b
    return c


def split(mtype, flow, flags, payload, max_message_size=MAX_MESSAGE_SIZE, error_recovery=False):
    """Messages (bytes) carrying `payload`, marked FIRST...LAST; an empty payload is one message."""
    chunk = max_message_size - HEADER_SIZE
    if chunk < 1:
        raise ValueError("max_message_size must exceed the header")
    pieces = [payload[i:i + chunk] for i in range(0, len(payload), chunk)] or [b""]
    out = []
    for i, piece in enumerate(pieces):
        f = int(flags)
        if i == 0:
            f |= Flag.FIRST
        if i == len(pieces) - 1:
            f |= Flag.LAST
        if piece:
            f |= Flag.HAS_PAYLOAD
        msg = bytearray(encode_header(mtype, flow, f, len(piece)) + piece)
        if error_recovery:
            msg[5] = checksum(msg)
        out.append(bytes(msg))
    return out


class Transmission:
    """One reassembled transmission: type, flow control, flags of the first message, whole payload."""

    def __init__(self, mtype, flow, flags, payload):
        self.mtype, self.flow, self.flags, self.payload = mtype, flow, flags, payload


def _recv_exact(sock, n):
    """Exactly `n` bytes, read straight into one buffer (one copy out of the kernel per byte)."""
    out = bytearray(n)
    view, got = memoryview(out), 0
    while got < n:
        k = sock.recv_into(view[got:])
        if not k:
            raise EOFError("connection closed")
        got += k
    return out


def receive(sock, max_payload=1 << 31):
    """Reads messages until one marked LAST; returns the Transmission. Its `message_size` is the largest message seen
    (header included), so a reply can use the same size."""
    parts = []
    total, largest = 0, 0
    first = None
    while True:
        mtype, flow, _, flags, size = decode_header(_recv_exact(sock, HEADER_SIZE))
        if HEADER_SIZE + size > LARGEST_MESSAGE_SIZE:
            raise ProtocolError(f"message payload of {size} bytes is implausible")
        if size and not flags & Flag.HAS_PAYLOAD:
            raise ProtocolError("payload size without HAS_PAYLOAD")
        if first is None:
            if not flags & Flag.FIRST:
                raise ProtocolError("transmission does not start with a FIRST message")
            first = (mtype, flow, flags)
        elif mtype != first[0]:
            raise ProtocolError(f"message type {mtype} inside a transmission of type {first[0]}")
        if size:
            parts.append(_recv_exact(sock, size))
            total += size
        largest = max(largest, HEADER_SIZE + size)
        if total > max_payload:
            raise ProtocolError("transmission too large")
        if flags & Flag.LAST:
            t = Transmission(first[0], first[1], first[2], b"".join(parts))
            t.message_size = max(MAX_MESSAGE_SIZE, largest)
            return t


def send(sock, mtype, flow, flags, payload=b"", max_message_size=MAX_MESSAGE_SIZE):
    sock.sendall(b"".join(split(mtype, flow, flags, payload, max_message_size=max_message_size)))
