"""Tools shared by the scenario suites. Each result carries a marker that no model can guess."""

from __future__ import annotations

from typing import Any

from agents import FunctionTool, function_tool
from agents.tool_context import ToolContext

WEATHER_MARKER = "report W-7781"
TIME_MARKER = "clock T-4410"


@function_tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny, 21 C, {WEATHER_MARKER}"


@function_tool
def get_time(city: str) -> str:
    """Current local time in a city."""
    return f"{city}: 14:05, {TIME_MARKER}"


TRACKING_CODE = "TRK-58213"


@function_tool
def lookup_order(order_id: str) -> str:
    """Status and tracking code of an order."""
    return f"order_id={order_id} status=shipped tracking_code={TRACKING_CODE}"


# strict_tool_schema: the same tool offered strict (the SDK's default: strict: true, additionalProperties: false) and,
# as a control, with a schema that lets extra keys in; the prompt asks for an argument neither schema names.
BOOKING_MARKER = "booking B-3390"


@function_tool
def book_table(guests: int) -> str:
    """Book a restaurant table."""
    return f"table for {guests}: {BOOKING_MARKER}"


async def _book_loosely(context: ToolContext[Any], arguments: str) -> str:
    return f"{BOOKING_MARKER}: {arguments}"


BOOK_TABLE_LOOSE = FunctionTool(
    name=book_table.name,
    description=book_table.description,
    params_json_schema={**book_table.params_json_schema, "additionalProperties": True},
    on_invoke_tool=_book_loosely,
    strict_json_schema=False,
)
