"""AVP (Alt Vault Protocol 0.4) toolkit: native crypto, client SDK, server and interop runner."""

from avp.errors import AvpError
from avp.identity import Identity

__all__ = ["AvpError", "Identity"]
