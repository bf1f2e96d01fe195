"""A raw client of launchd's control socket for hostile tests: encodes requests in the libxpc wire
format (docs/wire-format.md) without libxpc, so a test can send what launchctl never would — wrong
types, partial messages, no SO_PASSCRED — and read the replies."""
import socket
import struct

MAGIC = 0x31505847
HDR = 32


def encode(obj):
    if obj is None:
        return b"\x01"
    if isinstance(obj, bool):
        return b"\x02" + bytes([obj])
    if isinstance(obj, int):
        return b"\x03" + struct.pack("<q", obj)
    if isinstance(obj, float):
        return b"\x05" + struct.pack("<d", obj)
    if isinstance(obj, bytes):
        return b"\x07" + struct.pack("<I", len(obj)) + obj
    if isinstance(obj, str):
        b = obj.encode()
        return b"\x08" + struct.pack("<I", len(b)) + b
    if isinstance(obj, list):
        return b"\x0b" + struct.pack("<I", len(obj)) + b"".join(encode(o) for o in obj)
    if isinstance(obj, dict):
        out = b"\x0c" + struct.pack("<I", len(obj))
        for k, v in obj.items():
            kb = k.encode()
            out += struct.pack("<I", len(kb)) + kb + encode(v)
        return out
    raise TypeError(obj)


def decode(buf, off=0):
    tag = buf[off]
    off += 1
    if tag == 0x01:
        return None, off
    if tag == 0x02:
        return bool(buf[off]), off + 1
    if tag in (0x03, 0x04, 0x06):
        return struct.unpack_from("<q" if tag != 0x04 else "<Q", buf, off)[0], off + 8
    if tag == 0x05:
        return struct.unpack_from("<d", buf, off)[0], off + 8
    if tag in (0x07, 0x08):
        n = struct.unpack_from("<I", buf, off)[0]
        raw = bytes(buf[off + 4:off + 4 + n])
        return (raw.decode() if tag == 0x08 else raw), off + 4 + n
    if tag == 0x09:
        return bytes(buf[off:off + 16]), off + 16
    if tag in (0x0a, 0x0e):
        return ("fd", struct.unpack_from("<I", buf, off)[0]), off + 4
    if tag == 0x0b:
        n = struct.unpack_from("<I", buf, off)[0]
        off += 4
        items = []
        for _ in range(n):
            v, off = decode(buf, off)
            items.append(v)
        return items, off
    if tag in (0x0c, 0x0d):
        n = struct.unpack_from("<I", buf, off)[0]
        off += 4
        d = {}
        for _ in range(n):
            kl = struct.unpack_from("<I", buf, off)[0]
            k = bytes(buf[off + 4:off + 4 + kl]).decode()
            v, off = decode(buf, off + 4 + kl)
            d[k] = v
        return d, off
    raise ValueError(f"tag {tag:#x}")


def frame(body, msg_id=1, total=None, more=False, wants_reply=True):
    flags = (0x01 if more else 0) | (0x02 if wants_reply else 0)
    return struct.pack("<IBBBBQQII", MAGIC, 1, flags, HDR, 0, msg_id, 0,
                       len(body) if total is None else total, 0) + body


class Raw:
    """One SOCK_SEQPACKET connection; passcred=False is a client that never asks for credentials."""

    def __init__(self, path, passcred=False):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if passcred:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.s.connect(str(path))
        self.next_id = 1

    def send(self, request):
        self.s.send(frame(encode(request), self.next_id))
        self.next_id += 1

    def recv(self, timeout=20.0):
        """The next reply's dictionary (its fragments joined), or None if launchd closed the connection."""
        self.s.settimeout(timeout)
        body = b""
        while True:
            pkt = self.s.recv(70000)
            if not pkt:
                return None
            magic, _, flags, _, _, _, _, total, _ = struct.unpack_from("<IBBBBQQII", pkt)
            assert magic == MAGIC
            body += pkt[HDR:]
            if not flags & 0x01:
                return decode(body)[0]

    def call(self, request):
        self.send(request)
        return self.recv()

    def close(self):
        self.s.close()
