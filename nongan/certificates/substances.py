"""Is an input's active ingredient banned, or banned on this food? (the gate at certificate issue)

The lists live in the standards app (banned substances, restricted-scope pesticides, and the mapping of
scope names such as 十字花科蔬菜 onto the product tree); this module only adapts the call.
"""

from nongan.standards.selectors import substance_status as _standards_status


def substance_status(ingredient: str, category, on_date=None) -> str | None:
    """ "banned", "restricted" (banned on this food) or None."""
    ingredient = (ingredient or "").strip()
    if not ingredient:
        return None
    return _standards_status(ingredient, category.name, on_date)
