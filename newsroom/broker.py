"""The embedded broker: kombu's filesystem transport, with each message written whole before it can be read.

kombu writes a message file in place, so a worker listing the folder at that moment could move and read an
empty file, fail to decode it and stop ("Unrecoverable error: JSONDecodeError"). Here each message is written
under a name the reader skips and then renamed into place, which is atomic.
"""

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f".{name}.partial")  # not "<queue>.msg": never read
        try:
            with open(partial, "wb") as message:
                message.write(dumps(payload).encode())
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
