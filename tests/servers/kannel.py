"""A real Kannel (bearerbox + smsbox) on 127.0.0.1 with the SMPP simulator as its SMSC, for tests."""
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BEARERBOX, SMSBOX = "/usr/sbin/bearerbox", "/usr/sbin/smsbox"
SENDSMS_USER = """
group = sendsms-user
username = app
password = secret
max-messages = 10
concatenation = true
"""
CORE = """
group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = adminpw
status-password = statuspw
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
log-file = "{folder}/bearerbox.log"
log-level = 1
dlr-storage = internal
sms-resend-freq = 2
"""
CONFIG = CORE + """
group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {smsc}
transceiver-mode = true
smsc-username = kannel
smsc-password = smpppw
system-type = VMA
reconnect-delay = 2

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-file = "{folder}/smsbox.log"
log-level = 1
http-request-retry = 3
http-queue-delay = 2

""" + SENDSMS_USER


@dataclass
class Kannel:
    sendsms_url: str
    username: str
    password: str
    folder: Path
    processes: list

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait(check, seconds=20.0, what="") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"Kannel did not start: {what}")


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_kannel(folder: Path, free_port) -> Kannel:
    admin, smsbox, smsc, sendsms = (free_port() for _ in range(4))
    (folder / "kannel.conf").write_text(CONFIG.format(admin=admin, smsbox=smsbox, smsc=smsc, sendsms=sendsms,
                                                      folder=folder))
    simulator = subprocess.Popen([sys.executable, str(Path(__file__).with_name("smsc_sim.py")), str(smsc)],
                                 stdout=open(folder / "sim.log", "w"), stderr=subprocess.STDOUT)
    processes = [simulator]
    try:
        _wait(lambda: _listening(smsc), what="SMSC simulator")
        processes.append(subprocess.Popen([BEARERBOX, "-v", "1", "kannel.conf"], cwd=folder,
                                          stdout=open(folder / "bb.out", "w"), stderr=subprocess.STDOUT))
        _wait(lambda: _listening(smsbox), what="bearerbox")  # smsbox panics if started before this
        processes.append(subprocess.Popen([SMSBOX, "-v", "1", "kannel.conf"], cwd=folder,
                                          stdout=open(folder / "sb.out", "w"), stderr=subprocess.STDOUT))
        _wait(lambda: _listening(sendsms), what="smsbox")
        status = f"http://127.0.0.1:{admin}/status.txt?password=statuspw"
        _wait(lambda: re.search(rb"SMPP.*\(online", urllib.request.urlopen(status, timeout=2).read()),
              what="SMPP link online")
    except RuntimeError as problem:
        Kannel("", "", "", folder, processes).stop()
        output = "".join((folder / name).read_text()[-1500:] for name in ("bb.out", "sb.out") if (folder / name).exists())
        raise RuntimeError(f"{problem}\n{output}") from None
    except Exception:
        Kannel("", "", "", folder, processes).stop()
        raise
    return Kannel(f"http://127.0.0.1:{sendsms}/cgi-bin/sendsms", "app", "secret", folder, processes)


PHONE_CONFIG = CORE + """store-type = spool
store-location = "{folder}/spool"

group = smsc
smsc = fake
smsc-id = fake
port = {smsc}
our-host = 127.0.0.1
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-file = "{folder}/smsbox.log"
log-level = 1
http-request-retry = 3
http-queue-delay = 2
mo-recode = true

""" + SENDSMS_USER + """
group = sms-service
keyword = default
catch-all = true
max-messages = 0
accept-x-kannel-headers = true
get-url = "{inbound}?from=%p&to=%P&text=%b&id=%I&key={secret}"
"""
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"


@dataclass
class Phone:
    """Kannel with its fake SMSC and fakesmsc, the "phone network": what the app sends shows in fakesmsc's output,
    and `says` makes a phone send a text to the practice (Kannel hands it to the app's inbound callback)."""

    kannel: Kannel
    fifo: int  # our end of fakesmsc's input, kept open

    @property
    def sendsms_url(self) -> str:
        return self.kannel.sendsms_url

    def says(self, sender: str, receiver: str, text: str) -> None:
        os.write(self.fifo, f"{sender} {receiver} text {text}\n".encode())

    def received(self) -> str:
        """Every message fakesmsc got from Kannel so far ("Got message N: <from to text>" lines)."""
        return (self.kannel.folder / "fakesmsc.out").read_text(errors="replace")

    def stop(self) -> None:
        self.kannel.stop()
        os.close(self.fifo)


def start_phone(folder: Path, free_port, inbound_url: str, secret: str) -> Phone:
    """Kannel (bearerbox, smsbox) with the fake SMSC, fakesmsc connected to it, and replies passed to `inbound_url`."""
    admin, smsbox, smsc, sendsms = (free_port() for _ in range(4))
    (folder / "spool").mkdir()
    (folder / "kannel.conf").write_text(PHONE_CONFIG.format(admin=admin, smsbox=smsbox, smsc=smsc, sendsms=sendsms,
                                                            folder=folder, inbound=inbound_url, secret=secret))
    fifo_path = folder / "mo.fifo"
    os.mkfifo(fifo_path)
    fifo = os.open(fifo_path, os.O_RDWR)  # a writer from the start: fakesmsc's reads never see the end
    processes = []
    kannel = Kannel(f"http://127.0.0.1:{sendsms}/cgi-bin/sendsms", "app", "secret", folder, processes)
    try:
        processes.append(subprocess.Popen([BEARERBOX, "-v", "1", "kannel.conf"], cwd=folder,
                                          stdout=open(folder / "bb.out", "w"), stderr=subprocess.STDOUT))
        _wait(lambda: _listening(smsbox) and _listening(smsc), what="bearerbox")
        processes.append(subprocess.Popen([FAKESMSC, "-H", "127.0.0.1", "-r", str(smsc), "-i", "0"], cwd=folder,
                                          stdin=open(fifo_path, "rb"), stdout=open(folder / "fakesmsc.out", "w"),
                                          stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen([SMSBOX, "-v", "1", "kannel.conf"], cwd=folder,
                                          stdout=open(folder / "sb.out", "w"), stderr=subprocess.STDOUT))
        _wait(lambda: _listening(sendsms), what="smsbox")
        status = f"http://127.0.0.1:{admin}/status.txt?password=statuspw"
        _wait(lambda: re.search(rb"FAKE.*\(online", urllib.request.urlopen(status, timeout=2).read()),
              what="fake SMSC link online")
        _wait(lambda: b"smsbox" in urllib.request.urlopen(status, timeout=2).read(), what="smsbox connected")
    except Exception:
        kannel.stop()
        os.close(fifo)
        raise
    return Phone(kannel, fifo)
