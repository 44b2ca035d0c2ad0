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
from autograd.mode import is_grad_enabled, no_grad
from autograd.ops import OPS, DomainError, Op, define_op, dot, power, sum_values
from autograd.value import Value

__all__ = [
    "OPS",
    "DomainError",
    "Op",
    "Value",
    "backward",
    "define_op",
    "dot",
    "grad",
    "gradients",
    "is_grad_enabled",
    "no_grad",
    "power",
    "sum_values",
    "topological_order",
    "value_and_grad",
]

__version__ = "0.1.0"
