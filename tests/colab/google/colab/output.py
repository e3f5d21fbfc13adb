"""Stand-in for `google.colab.output`: the widget-manager switches (no-ops outside Colab)."""


def enable_custom_widget_manager() -> None:
    """Colab: render ipywidgets 8 with a third-party widget manager. Here: nothing to do."""


def disable_custom_widget_manager() -> None:
    """Colab: back to Colab's own widget manager (ipywidgets 7). Here: nothing to do."""
