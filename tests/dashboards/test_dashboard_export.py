"""export_png degrades gracefully; the real export runs in the browser tests."""

from __future__ import annotations

import logging

import pytest

from pipelines.dashboards import export, trend_figure


def test_export_png_skips_with_a_message_when_no_browser(monkeypatch, tmp_path, caplog, tiny_series):
    monkeypatch.setattr(export, "find_browser", lambda: None)
    fig = trend_figure(tiny_series[0]).build()
    with caplog.at_level(logging.WARNING):
        assert export.export_png([fig], [tmp_path / "x.png"]) == []
    assert "PNG export skipped: no Chromium found" in caplog.text
    assert not (tmp_path / "x.png").exists()


def test_export_png_skips_when_kaleido_fails(monkeypatch, tmp_path, caplog, tiny_series):
    import plotly.io as pio

    def boom(*a, **k):
        raise RuntimeError("browser crashed")

    monkeypatch.setattr(export, "find_browser", lambda: "/bin/true")
    monkeypatch.setattr(pio, "write_images", boom)
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    with caplog.at_level(logging.WARNING):
        assert export.export_png([trend_figure(tiny_series[0]).build()], [tmp_path / "x.png"]) == []
    assert "kaleido failed with RuntimeError" in caplog.text
    assert "BROWSER_PATH" not in __import__("os").environ  # restored


def test_export_png_checks_lengths():
    with pytest.raises(ValueError, match="1 figures but 0 paths"):
        export.export_png([object()], [])


def test_find_browser_prefers_browser_path(monkeypatch, tmp_path):
    fake = tmp_path / "chrome"
    fake.write_text("")
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert export.find_browser() == str(fake)
