"""Deployment settings from `CHURNWATCH_*` environment variables (names are contract)."""

from __future__ import annotations

import pytest

from config.settings import KafkaSecurity, Settings, SettingsError

FULL_ENV = {
    "CHURNWATCH_KAFKA_BOOTSTRAP": "k1:9092,k2:9092",
    "CHURNWATCH_REDIS_URL": "rediss://cache:6380/2",
    "CHURNWATCH_WEB_PORT": "8080",
    "CHURNWATCH_WEB_HOST": "0.0.0.0",
    "CHURNWATCH_TIMEZONE": "Asia/Shanghai",
    "CHURNWATCH_CONFIG": "/etc/churnwatch/policy.json",
    "CHURNWATCH_API_TOKEN": "s3cret-token",
    "CHURNWATCH_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
    "CHURNWATCH_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "CHURNWATCH_KAFKA_SASL_USERNAME": "churn",
    "CHURNWATCH_KAFKA_SASL_PASSWORD": "hunter2",
    "CHURNWATCH_KAFKA_SSL_CAFILE": "/etc/ssl/ca.pem",
    "CHURNWATCH_APP_ID": "churnwatch-prod",
    "CHURNWATCH_PARTITIONS": "24",
    "CHURNWATCH_REDIS_PREFIX": "cw:",
    "CHURNWATCH_SESSION_TIMEOUT_S": "30.5",
    "CHURNWATCH_DATA_DIR": "/var/lib/churnwatch",
    "CHURNWATCH_COMMIT_INTERVAL_S": "2.5",
    "CHURNWATCH_DEADLETTER_RAW": "None",  # case-insensitive
    "CHURNWATCH_IDLE_TIMEOUT_S": "12",
    "CHURNWATCH_CONSOLE": "1",
    "CHURNWATCH_BACKFILL_TASKS": "1",
}


def test_defaults_from_an_empty_environment():
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.kafka_bootstrap is None
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.web_port == 6066
    assert settings.web_host == "127.0.0.1"
    assert settings.timezone == "UTC"
    assert settings.config_path is None
    assert settings.api_token is None
    assert settings.security == KafkaSecurity()
    assert settings.security.protocol == "PLAINTEXT"
    assert (settings.app_id, settings.partitions) == ("churnwatch", 8)
    assert settings.redis_prefix == "churnwatch:"
    assert settings.session_timeout_s == 10.0
    assert settings.tz.key == "UTC"


def test_every_variable_is_read():
    settings = Settings.from_env(FULL_ENV)
    assert settings.kafka_bootstrap == "k1:9092,k2:9092"
    assert settings.redis_url == "rediss://cache:6380/2"
    assert settings.web_port == 8080
    assert settings.web_host == "0.0.0.0"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.tz.key == "Asia/Shanghai"
    assert settings.config_path == "/etc/churnwatch/policy.json"
    assert settings.api_token == "s3cret-token"
    assert settings.security == KafkaSecurity(
        protocol="SASL_SSL",  # case-insensitive
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="churn",
        sasl_password="hunter2",
        ssl_cafile="/etc/ssl/ca.pem",
    )
    assert settings.app_id == "churnwatch-prod"
    assert settings.partitions == 24
    assert settings.redis_prefix == "cw:"
    assert settings.session_timeout_s == 30.5
    assert settings.data_dir == "/var/lib/churnwatch"
    assert settings.commit_interval_s == 2.5
    assert settings.deadletter_raw == "none"


def test_every_field_is_reachable_from_the_environment():
    defaults, configured = Settings(), Settings.from_env(FULL_ENV)
    same = [
        f for f in Settings.__dataclass_fields__ if getattr(defaults, f) == getattr(configured, f)
    ]
    assert same == []


def test_empty_optional_variables_mean_unset():
    env = {
        "CHURNWATCH_KAFKA_BOOTSTRAP": "",
        "CHURNWATCH_CONFIG": "",
        "CHURNWATCH_API_TOKEN": "",
        "CHURNWATCH_WEB_PORT": "",
        "CHURNWATCH_SESSION_TIMEOUT_S": "",
    }
    settings = Settings.from_env(env)
    assert (settings.kafka_bootstrap, settings.config_path, settings.api_token) == (None,) * 3
    assert (settings.web_port, settings.session_timeout_s) == (6066, 10.0)


def test_secrets_are_not_in_the_repr():
    text = repr(Settings.from_env(FULL_ENV))
    assert "hunter2" not in text
    assert "s3cret-token" not in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHURNWATCH_WEB_PORT", "http"),
        ("CHURNWATCH_WEB_PORT", "80.5"),
        ("CHURNWATCH_PARTITIONS", "eight"),
        ("CHURNWATCH_SESSION_TIMEOUT_S", "10s"),
        ("CHURNWATCH_TIMEZONE", "Mars/Olympus"),
        ("CHURNWATCH_TIMEZONE", "../../etc/passwd"),
        ("CHURNWATCH_KAFKA_SECURITY_PROTOCOL", "TLS"),
        ("CHURNWATCH_REDIS_URL", "http://cache:6379"),
    ],
)
def test_a_bad_value_raises_naming_the_variable(name, value):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value})
    assert str(raised.value).startswith(f"{name}:")


def test_require_bootstrap_returns_the_brokers():
    assert Settings.from_env(FULL_ENV).require_bootstrap() == "k1:9092,k2:9092"


def test_require_bootstrap_explains_what_to_do_when_unset():
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({}).require_bootstrap()
    message = str(raised.value)
    assert message.startswith("CHURNWATCH_KAFKA_BOOTSTRAP is not set")
    assert "host:port" in message
    assert "churnwatch demo" in message


def test_with_overrides_changes_one_field():
    settings = Settings().with_overrides(web_port=7000)
    assert settings.web_port == 7000
    assert settings.redis_url == Settings().redis_url


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHURNWATCH_WEB_PORT", "70000"),
        ("CHURNWATCH_PARTITIONS", "0"),
        ("CHURNWATCH_SESSION_TIMEOUT_S", "-1"),
    ],
)
def test_an_out_of_range_number_raises_naming_the_variable(name, value):
    with pytest.raises(SettingsError, match=f"^{name}:"):
        Settings.from_env({name: value})


def test_deadletter_raw_must_be_a_known_mode():
    with pytest.raises(SettingsError, match="CHURNWATCH_DEADLETTER_RAW"):
        Settings.from_env({"CHURNWATCH_DEADLETTER_RAW": "some"})
