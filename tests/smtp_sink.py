"""A real SMTP server for the worker tests, run in its own process: `python -m tests.smtp_sink PORT MAILDIR`.

It keeps every message it accepts in a Maildir. With SMTP_SINK_DELAY (seconds) it pauses in the middle of
each conversation (after RCPT, before DATA), so a test can kill a worker mid-conversation; with
SMTP_SINK_REFUSE, recipients whose address contains that text are refused for good (550).
"""

import asyncio
import mailbox
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class Sink(Mailbox):
    def __init__(self, mail_dir):
        super().__init__(mail_dir)
        self.delay = float(os.environ.get("SMTP_SINK_DELAY", "0"))
        self.refuse = os.environ.get("SMTP_SINK_REFUSE", "")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and self.refuse in address:
            return "550 5.1.1 No such mailbox here"
        if self.delay:
            await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def main(port: int, mail_dir: str) -> None:
    mailbox.Maildir(mail_dir, create=True)
    controller = Controller(Sink(mail_dir), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # until the test closes our stdin (or kills us)
    finally:
        controller.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
