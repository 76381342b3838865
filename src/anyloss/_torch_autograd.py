"""The ``torch.autograd.Function`` behind ``_compat.custom_gradient``, in a module of its
own: it imports torch, so ``_compat`` imports it only for torch arrays; and a class is
defined here at import, not in a function that ``torch.compile`` may be tracing (Dynamo
cannot trace a class definition, so a compiled first call would fail)."""

from __future__ import annotations

import inspect
from typing import Any

import torch

__all__ = ["CustomGradient"]


class CustomGradient(torch.autograd.Function):
    """``apply(value, gradient, count, *arrays)``: ``value(*arrays)`` gives the output and
    what to save; ``gradient(arrays, saved, g, wanted)`` the gradient of each of the
    ``count`` arrays (``wanted``: which of them require one). Returns the output followed
    by the saved arrays (``custom_gradient`` keeps the first).

    ``forward`` and ``setup_context`` apart, and ``generate_vmap_rule``: the form that
    ``torch.func`` transforms (``grad``, ``vmap``) accept.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(value: Any, gradient: Any, count: int, *arrays: Any) -> Any:
        out, saved = value(*arrays)
        return (out, *saved)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        _, gradient, count, *arrays = inputs
        ctx.gradient, ctx.count = gradient, count
        ctx.mark_non_differentiable(*output[1:])
        ctx.save_for_backward(*arrays, *output[1:])

    @staticmethod
    def backward(ctx: Any, g: Any, *_: Any) -> Any:
        tensors = ctx.saved_tensors
        arrays, saved = tensors[: ctx.count], tensors[ctx.count :]
        wanted = tuple(ctx.needs_input_grad[3:])
        return (None, None, None, *ctx.gradient(arrays, saved, g, wanted))


# torch binds ``apply``'s arguments to ``forward``'s signature on every call of a Function
# with ``setup_context`` (``bind_default_args``); ``inspect.signature`` reads a function's
# ``__signature__`` where set, instead of rebuilding it (~15 µs a call)
CustomGradient.forward.__signature__ = inspect.signature(  # type: ignore[attr-defined]
    CustomGradient.forward
)
