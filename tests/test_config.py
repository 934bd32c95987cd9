"""The Streamlit configuration parses (a duplicated table makes Streamlit ignore the whole file silently)."""

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def test_streamlit_config_parses_and_hides_the_default_page_list():
    config = tomllib.loads(CONFIG.read_text())
    assert config["client"]["showSidebarNavigation"] is False
    assert config["server"]["maxUploadSize"] == 1024
