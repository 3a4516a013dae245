import getpass
import os
import socket


def operator() -> str:
    """Who ran a command, for the records it leaves: the system user and the machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    return f"{user}@{socket.gethostname()}"
