"""Acceptance test of chapter 8: the static digit explorer works in the built page, offline.

Contract with book/08_playground.ipynb: the static explorer shows a `widgets.Stack` of
`widgets.Image` children (child i shows digit i; a child may also be a Box holding the Image),
linked by `widgets.jslink((slider, "value"), (stack, "selected_index"))` to an `IntSlider` with
description 'digit' (min 0, max >= 7); the explorer is the cell's displayed value (or is passed to
`display()`), so the build saves its state. Python callbacks do not run in the HTML: jslink does.
This test fails until chapter 8 provides that explorer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser import (
    HTML,
    displayed_image_b64,
    image_bytes_b64,
    launch,
    open_page,
    require_built_book,
    screenshot,
    wait_for_widgets,
    widget_state,
)
from playwright.sync_api import Browser, Locator, expect

PAGE = "book/08_playground.html"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Headless Chromium on a built book."""
    require_built_book()
    with launch() as browser:
        yield browser


def stack_images(models: dict[str, dict]) -> list[str | None]:
    """The image bytes of each child of the Stack that is jslinked to the 'digit' slider."""
    sliders = {k for k, m in models.items()
               if m["model_name"] == "IntSliderModel" and m["state"].get("description") == "digit"}
    assert sliders, "chapter 8 has no saved IntSlider with description 'digit'"
    for m in models.values():
        if m["model_name"] not in ("LinkModel", "DirectionalLinkModel"):
            continue
        ends = [m["state"]["source"], m["state"]["target"]]
        ids = {e[0].removeprefix("IPY_MODEL_"): e[1] for e in ends}
        stack = [k for k, attr in ids.items() if attr == "selected_index"]
        if stack and any(ids.get(s) == "value" for s in sliders):
            children = models[stack[0]]["state"]["children"]
            return [image_bytes_b64(models, c) for c in children]
    raise AssertionError("no jslink from the 'digit' slider to a Stack's selected_index")


def shown_image(scope: Locator) -> str:
    """The bytes of the one visible widget image of the explorer."""
    images = scope.locator("img.widget-image:visible, .widget-image img:visible")
    expect(images).to_have_count(1)
    return displayed_image_b64(images.first)


def test_slider_switches_the_pre_rendered_image(chromium: Browser) -> None:
    """Keyboard on the slider: 3, then ArrowRight x4 to 7 shows the pre-rendered image for 7."""
    assert (HTML / PAGE).is_file(), f"{PAGE} was not built: chapter 8 is missing from the book"
    page, log = open_page(chromium, PAGE)
    try:
        wait_for_widgets(page)
        images = stack_images(widget_state(page))
        assert len(images) > 7 and images[3] and images[7] and images[3] != images[7]
        slider = page.locator(".widget-slider").filter(has_text="digit").first
        expect(slider).to_be_visible()
        handle = slider.locator("[role=slider]").first
        scope = page.locator(".widget-subarea").filter(has=slider).last
        handle.focus()
        handle.press("Home")
        for _ in range(3):
            handle.press("ArrowRight")
        expect(handle).to_have_attribute("aria-valuenow", re.compile(r"^3(\.0*)?$"))
        at3 = shown_image(scope)
        assert at3 == images[3], "at 3 the explorer does not show the Stack's child 3"
        src3 = scope.locator("img:visible").first.get_attribute("src")
        for _ in range(4):
            handle.press("ArrowRight")
        expect(handle).to_have_attribute("aria-valuenow", re.compile(r"^7(\.0*)?$"))
        expect(slider.locator(".widget-readout")).to_have_text("7")
        assert scope.locator("img:visible").first.get_attribute("src") != src3
        assert shown_image(scope) == images[7], "at 7 the image is not the one for 7"
        screenshot(page, "book/08_playground-at-7.html")
        assert not (log.failed or log.external or log.errors), log
    finally:
        page.close()
