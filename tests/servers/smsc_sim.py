"""A minimal SMPP 3.4 SMSC for Kannel in tests (the SMPP 3.4 operations Kannel's smsc-smpp uses). Run: smsc_sim.py PORT.

The outcome follows the last two digits of the destination: 01 receipt UNDELIV (DLR 2), 02 submit_sm_resp
0x0B (DLR 16), 03 throttled once, 04 no receipt (only DLR 8), 05 ENROUTE then DELIVRD, 06 EXPIRED, other DELIVRD.
"""
import itertools
import socket
import struct
import sys
import threading
import time

ids, seqs, tries = itertools.count(1000001), itertools.count(1), {}


def pdu(cmd, status, seq, body=b""):
    return struct.pack(">IIII", 16 + len(body), cmd, status, seq) + body


def cstr(data, i):
    j = data.index(b"\0", i)
    return data[i:j].decode("latin-1"), j + 1


def receipt(conn, lock, message_id, src, dst, stat, delay):
    time.sleep(delay)
    stamp = time.strftime("%y%m%d%H%M")
    delivered = "001" if stat == "DELIVRD" else "000"
    error = "000" if stat in ("DELIVRD", "ENROUTE") else "001"
    text = (f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{stamp} done date:{stamp} "
            f"stat:{stat} err:{error} text:").encode()
    body = b"\0\1\1" + dst.encode() + b"\0\1\1" + src.encode() + b"\0\4\0\0\0\0\0\0\0\0" + bytes([len(text)]) + text
    with lock:
        conn.sendall(pdu(0x5, 0, next(seqs), body))  # deliver_sm, esm_class 0x04 = receipt


def serve(conn):
    lock, buffer = threading.Lock(), b""
    while True:
        while len(buffer) < 4 or len(buffer) < struct.unpack(">I", buffer[:4])[0]:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buffer += chunk
        length = struct.unpack(">I", buffer[:4])[0]
        packet, buffer = buffer[:length], buffer[length:]
        _, cmd, _, seq = struct.unpack(">IIII", packet[:16])
        body, out = packet[16:], None
        if cmd in (1, 2, 9):
            out = pdu(cmd | 0x80000000, 0, seq, b"SIM\0")  # bind_*
        elif cmd == 0x15:
            out = pdu(0x80000015, 0, seq)  # enquire_link
        elif cmd == 0x6:
            out = pdu(0x80000006, 0, seq)  # unbind
        elif cmd == 0x4:  # submit_sm
            _, i = cstr(body, 0)
            src, i = cstr(body, i + 2)
            dst, i = cstr(body, i + 2)
            _, i = cstr(body, i + 3)
            _, i = cstr(body, i)
            registered = body[i]
            tail, message_id, status = dst[-2:], str(next(ids)), 0
            tries[dst] = tries.get(dst, 0) + 1
            if tail == "02" or (tail == "03" and tries[dst] == 1):
                status = 0x0B if tail == "02" else 0x58
            out = pdu(0x80000004, status, seq, (message_id + "\0").encode() if status == 0 else b"")
            plan = {"01": [("UNDELIV", .05)], "04": [], "05": [("ENROUTE", .05), ("DELIVRD", .3)],
                    "06": [("EXPIRED", .05)]}.get(tail, [("DELIVRD", .05)])
            for stat, delay in (plan if status == 0 and registered & 1 else []):
                threading.Thread(target=receipt, args=(conn, lock, message_id, src, dst, stat, delay),
                                 daemon=True).start()
            print("submit_sm", src, dst, hex(status), message_id, flush=True)
        if out:
            with lock:
                conn.sendall(out)
        if cmd == 0x6:
            return


if __name__ == "__main__":
    server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
    while True:
        threading.Thread(target=serve, args=(server.accept()[0],), daemon=True).start()
