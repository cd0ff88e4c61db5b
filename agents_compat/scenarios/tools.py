"""Tools shared by the scenario suites. Each result carries a marker that no model can guess."""

from __future__ import annotations

from agents import function_tool

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
