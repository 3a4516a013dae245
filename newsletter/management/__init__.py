from audit.services import operator

__all__ = ["operator"]
