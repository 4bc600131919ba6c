"""`broadcastd simulate` options turn into the fleet the operator asked for."""

from __future__ import annotations

import argparse

import pytest

from broadcastd.simulate import cli


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_options_build_the_fleet_config() -> None:
    config = cli.config_from_args(parse(
        "--broker", "mqtt://10.0.0.2:1884", "--prefix", "bc", "--commune", "man-lan",
        "--clusters", "kl-01,kl-05,kl-09", "--silent", "kl-05", "--ack-delay", "0.2",
        "--speed", "60", "--late", "kl-09:30", "--no-fetch"))
    assert (config.host, config.port, config.prefix) == ("10.0.0.2", 1884, "bc")
    assert [c.client_id for c in config.clusters] == [
        "man-lan.kl-01", "man-lan.kl-05", "man-lan.kl-09"]
    assert config.silent == {"kl-05"} and dict(config.late) == {"kl-09": 30.0}
    assert (config.ack_delay_s, config.speed, config.fetch) == (0.2, 60.0, False)


def test_count_names_the_clusters_in_order() -> None:
    config = cli.config_from_args(parse("--count", "22"))
    assert [c.cluster for c in config.clusters][:2] == ["kl-01", "kl-02"]
    assert config.clusters[-1].client_id == "man-lan.kl-22"


def test_bad_options_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="mqtt://host:port"):
        cli.config_from_args(parse("--broker", "http://x", "--count", "2"))
    with pytest.raises(ValueError, match="unknown cluster 'kl-07'"):
        cli.config_from_args(parse("--clusters", "kl-01", "--silent", "kl-07"))
    with pytest.raises(SystemExit):
        parse("--count", "2", "--late", "kl-01")
