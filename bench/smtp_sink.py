"""An SMTP server on loopback that takes every message and keeps none: `python -m bench.smtp_sink PORT`.

Enough ESMTP for smtplib and Django's SMTP backend: EHLO/HELO, MAIL, RCPT, DATA (the body read up to
its final dot and un-stuffed), RSET, NOOP, QUIT. `XCNT` answers `250 <messages> <bytes>`: what it has
taken since it started. One asyncio protocol per connection, scanning the buffer with bytes methods,
so it answers faster than one Python client can send (the benchmark measures that too).
"""

import asyncio
import sys

END = b"\r\n.\r\n"
EHLO = b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 104857600\r\n"


class Counter:
    messages = 0
    size = 0


class Session(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = bytearray()
        self.in_data = False
        self.scanned = 0
        self.sender = False
        self.recipients = 0
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, chunk: bytes) -> None:
        self.buffer += chunk
        while self.buffer:
            if self.in_data:
                if not self._body():
                    return
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 2]
            self._command(line)

    def _body(self) -> bool:
        """Take the message if its final dot has arrived. A body starts at a line's start, so CRLF is prefixed."""
        if self.buffer.startswith(b".\r\n") and self.scanned == 0:
            body, rest = b"", 3
        else:
            end = self.buffer.find(END, max(self.scanned - 4, 0))
            if end < 0:
                self.scanned = len(self.buffer)
                return False
            body, rest = bytes(self.buffer[: end + 2]), end + len(END)
        del self.buffer[:rest]
        if body.startswith(b".."):
            body = body[1:]
        body = body.replace(b"\r\n..", b"\r\n.")  # RFC 5321 4.5.2: a leading dot was doubled by the client
        Counter.messages += 1
        Counter.size += len(body)
        self.in_data, self.scanned, self.sender, self.recipients = False, 0, False, 0
        self.transport.write(b"250 2.0.0 OK taken\r\n")
        return True

    def _command(self, line: bytes) -> None:
        verb = line[:4].upper()
        write = self.transport.write
        if verb in (b"EHLO", b"HELO"):
            self.sender, self.recipients = False, 0
            write(EHLO if verb == b"EHLO" else b"250 sink\r\n")
        elif verb == b"MAIL":
            self.sender, self.recipients = True, 0
            write(b"250 2.1.0 OK\r\n")
        elif verb == b"RCPT":
            if not self.sender:
                write(b"503 5.5.1 MAIL first\r\n")
                return
            self.recipients += 1
            write(b"250 2.1.5 OK\r\n")
        elif verb == b"DATA":
            if not self.recipients:
                write(b"503 5.5.1 RCPT first\r\n")
                return
            self.in_data, self.scanned = True, 0
            write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"RSET":
            self.sender, self.recipients = False, 0
            write(b"250 2.0.0 OK\r\n")
        elif verb == b"NOOP":
            write(b"250 2.0.0 OK\r\n")
        elif verb == b"QUIT":
            write(b"221 2.0.0 Bye\r\n")
            self.transport.close()
        elif verb == b"XCNT":
            write(f"250 {Counter.messages} {Counter.size}\r\n".encode())
        else:
            write(b"502 5.5.2 Command not implemented\r\n")


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(Session, "127.0.0.1", port, backlog=128)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


def count(port: int) -> tuple[int, int]:
    """Messages and bytes the sink on this port has taken."""
    import smtplib

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        code, reply = client.docmd("XCNT")
    messages, size = reply.split()
    return int(messages), int(size)


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
