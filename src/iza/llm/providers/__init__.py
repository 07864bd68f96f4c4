"""Wire-format adapters, one module per vendor; each maps its SDK's exceptions to ours.

An adapter is handed an already authenticated SDK client (built by ``iza.llm._clients``) and
turns :class:`~iza.llm.ChatRequest` into that vendor's request and the response back into a
:class:`~iza.llm.ChatResult`. Modules are imported only when their provider is used, so the
vendor SDKs stay optional.
"""

from iza.llm.providers.base import Provider

__all__ = ["Provider"]
