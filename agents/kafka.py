"""Kafka client configuration from settings, identical for Faust (aiokafka) and confluent-kafka."""

from __future__ import annotations

import ssl
from typing import Any

from config.settings import KafkaSecurity, Settings


def faust_broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{hostport.strip()}" for hostport in bootstrap.split(",") if hostport.strip()]


def faust_credentials(security: KafkaSecurity) -> Any:
    """Faust `broker_credentials` for the configured protocol (None for PLAINTEXT)."""
    import faust  # the wiring layer owns the framework import

    if security.protocol == "PLAINTEXT":
        return None
    context = None
    if security.protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=security.ssl_cafile)
    if security.protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=security.sasl_username,
            password=security.sasl_password,
            ssl_context=context,
            mechanism=security.sasl_mechanism or "PLAIN",
        )
    return faust.SSLCredentials(context)


def confluent_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """librdkafka settings; producers get Kafka's murmur2 partitioner, as the contract says."""
    sec = settings.security
    config: dict[str, Any] = {
        "bootstrap.servers": settings.require_bootstrap(),
        "security.protocol": sec.protocol,
    }
    if sec.sasl_mechanism or sec.protocol.startswith("SASL"):
        config["sasl.mechanism"] = sec.sasl_mechanism or "PLAIN"
        config["sasl.username"] = sec.sasl_username or ""
        config["sasl.password"] = sec.sasl_password or ""
    if sec.ssl_cafile:
        config["ssl.ca.location"] = sec.ssl_cafile
    config.update(extra)
    return config


def producer_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    return confluent_config(
        settings, **{"partitioner": "murmur2_random", "linger.ms": 20, "acks": "all", **extra}
    )


def aiokafka_config(settings: Settings) -> dict[str, Any]:
    """aiokafka client arguments: bootstrap and security, as for the other clients."""
    sec = settings.security
    config: dict[str, Any] = {
        "bootstrap_servers": settings.require_bootstrap(),
        "security_protocol": sec.protocol,
    }
    if sec.protocol in ("SSL", "SASL_SSL"):
        config["ssl_context"] = ssl.create_default_context(cafile=sec.ssl_cafile)
    if sec.protocol.startswith("SASL"):
        config["sasl_mechanism"] = sec.sasl_mechanism or "PLAIN"
        config["sasl_plain_username"] = sec.sasl_username
        config["sasl_plain_password"] = sec.sasl_password
    return config
