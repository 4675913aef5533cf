"""A mypy plugin: calling a factory_boy factory gives an instance of its model.

factory_boy types ``Factory.create()`` as its model (``DjangoModelFactory[Call]``), but a call
to the class itself goes through an untyped metaclass ``__call__``, so mypy sees an instance of
the factory. The tests call factories directly; this hook gives those calls the model's type.
"""

from collections.abc import Callable

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import TypeInfo
from mypy.plugin import FunctionContext, Plugin
from mypy.types import Instance, Type, get_proper_type

BASE_FACTORY = "factory.base.BaseFactory"


def _model_instance(ctx: FunctionContext) -> Type:
    made = get_proper_type(ctx.default_return_type)
    if not isinstance(made, Instance):
        return ctx.default_return_type
    base = next(info for info in made.type.mro if info.fullname == BASE_FACTORY)
    model = get_proper_type(map_instance_to_supertype(made, base).args[0])
    # An unparameterised factory (no ``[Model]``) keeps the default type.
    return model if isinstance(model, Instance) else ctx.default_return_type


class FactoryBoyPlugin(Plugin):
    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        symbol = self.lookup_fully_qualified(fullname)
        if symbol is not None and isinstance(symbol.node, TypeInfo) and symbol.node.has_base(BASE_FACTORY):
            return _model_instance
        return None


def plugin(version: str) -> type[Plugin]:
    return FactoryBoyPlugin
