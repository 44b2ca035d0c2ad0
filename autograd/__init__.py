"""glassgrad's engine: scalar `Value`s that record a graph, and the chain rule over it.

>>> from autograd import Value, grad
>>> x = Value(3.0)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0
>>> grad(grad(lambda x: x ** 3))(2.0)
12.0
"""

from autograd.backward import backward, grad, gradients, topological_order, value_and_grad
from autograd.listing import to_text
from autograd.mode import is_grad_enabled, no_grad
from autograd.op import OPS, DivisionByZeroError, DomainError, Op, define_op
from autograd.ops import dot, power, sum_values
from autograd.player import animate_backward  # imports graphviz only when called
from autograd.trace import Program, sample, trace
from autograd.value import Value
from autograd.viz import draw_dot  # imports graphviz only when called

__all__ = [
    "OPS",
    "DivisionByZeroError",
    "DomainError",
    "Op",
    "Program",
    "Value",
    "animate_backward",
    "backward",
    "define_op",
    "dot",
    "draw_dot",
    "grad",
    "gradients",
    "is_grad_enabled",
    "no_grad",
    "power",
    "sample",
    "sum_values",
    "to_text",
    "topological_order",
    "trace",
    "value_and_grad",
]

__version__ = "0.1.0"
