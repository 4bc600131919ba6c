"""The daemon's own configuration, `config/broadcastd.yaml`.

Validated like timetables: unknown keys are errors, every field is documented. Paths
and SQLite file names that are relative are taken relative to the config file, so
the daemon behaves the same whatever directory it is started from. Secrets may come
from the environment and are never logged (`redacted()`).
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from broadcastd.contract.topics import ID_PATTERN
from broadcastd.i18n import Text, _, listing
from broadcastd.logs import LOG_ZONE

PASSWORD_ENV = "BROADCASTD_MQTT_PASSWORD"
# The embedded broker's default port: beside, not on, a Mosquitto that may own 1883.
EMBEDDED_PORT = 1884


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    embedded: bool
    tls: bool


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or `localhost`: reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BrokerTls(Section):
    """TLS towards the broker (with an `mqtts://` URL)."""

    ca_file: Path | None = Field(
        default=None,
        description="CA certificate(s) that signed the broker's certificate (PEM); "
        "without it, the system's trusted CAs.",
    )
    cert_file: Path | None = Field(
        default=None, description="Client certificate (PEM), when the broker asks for one."
    )
    key_file: Path | None = Field(default=None, description="The client certificate's key.")

    @model_validator(mode="after")
    def _pair(self) -> BrokerTls:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("give both cert_file and key_file, or neither")
        return self

    def files(self) -> dict[str, Path]:
        return {
            name: path
            for name, path in (
                ("ca_file", self.ca_file),
                ("cert_file", self.cert_file),
                ("key_file", self.key_file),
            )
            if path is not None
        }


class HttpTls(Section):
    """HTTPS served by the daemon itself (or leave it out and use a reverse proxy)."""

    cert_file: Path = Field(description="Server certificate chain (PEM).")
    key_file: Path = Field(description="Its private key (PEM).")

    def files(self) -> dict[str, Path]:
        return {"cert_file": self.cert_file, "key_file": self.key_file}


class BrokerSettings(Section):
    url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="mqtt://host:port (mqtts:// for TLS), or `embedded` for the built-in "
        f"broker on 127.0.0.1:{EMBEDDED_PORT} (embedded://host:port to choose where).",
    )
    username: str | None = Field(default=None, description="MQTT user name.")
    password: SecretStr | None = Field(default=None, description="MQTT password.")
    password_env: str | None = Field(
        default=None,
        description=f"Name of an environment variable holding the password "
        f"({PASSWORD_ENV} is always looked at).",
    )
    client_id: str = Field(
        default="broadcastd", min_length=1, description="The daemon's MQTT client id."
    )
    topic_prefix: str = Field(default="broadcast", description="Topic root of the contract.")
    keepalive_s: int = Field(
        default=30,
        ge=5,
        le=60,
        description="MQTT keep-alive in seconds; the speaker contract allows at most 60.",
    )
    tls: BrokerTls | None = Field(
        default=None, description="CA file and client certificate for an mqtts:// broker."
    )
    shared_subscriptions: bool = Field(
        default=True,
        description="With `coordination.mode: leases`: subscribe to the acks as "
        "`$share/broadcastd/...`, so that the broker gives each ack to one daemon. Set "
        "false for a broker without shared subscriptions (RabbitMQ 3.x): every daemon then "
        "receives every ack, and the database keeps one row of each.",
    )
    retained_on_wildcards: bool = Field(
        default=True,
        description="Whether the broker hands retained messages to a subscription with "
        "wildcards, as MQTT says (Mosquitto, EMQX, HiveMQ do; RabbitMQ's MQTT plugin does "
        "not). Set false for RabbitMQ: the daemon then also subscribes every cluster's "
        "state topic by name, so it learns at start which clusters are online.",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value == "embedded":
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts", "embedded") or not parts.hostname:
            raise ValueError("write mqtt://HOST:PORT, mqtts://HOST:PORT or `embedded`")
        return value

    @field_validator("topic_prefix")
    @classmethod
    def _plain_prefix(cls, value: str) -> str:
        if not value or any(char in value for char in "+#") or value.strip("/") != value:
            raise ValueError("a topic prefix has no '+', '#', nor leading/trailing '/'")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> BrokerSettings:
        address = self.address
        if address.embedded and not is_loopback(address.host):
            raise ValueError(
                f"the embedded broker has no logins and no TLS, so it listens on loopback "
                f"only, not on {address.host}: write embedded://127.0.0.1:PORT, or run "
                f"Mosquitto for clusters on the LAN (deploy/install.sh sets it up)"
            )
        if self.tls is not None and not address.tls:
            raise ValueError("broker.tls is set but broker.url is not mqtts://: write mqtts://")
        return self

    @property
    def address(self) -> BrokerAddress:
        if self.url == "embedded":
            return BrokerAddress("127.0.0.1", EMBEDDED_PORT, embedded=True, tls=False)
        parts = urlsplit(self.url)
        tls = parts.scheme == "mqtts"
        return BrokerAddress(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            embedded=parts.scheme == "embedded",
            tls=tls,
        )

    def resolved_password(self) -> str | None:
        """The password: from the config, else the named variable, else the default one."""
        if self.password is not None:
            return self.password.get_secret_value()
        for name in (self.password_env, PASSWORD_ENV):
            if name and os.environ.get(name):
                return os.environ[name]
        return None


class DatabaseSettings(Section):
    url: str = Field(
        default="sqlite:///broadcastd.db",
        description="SQLAlchemy URL. A relative SQLite path is relative to the config file.",
    )


NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"


def default_daemon_name() -> str:
    """The host's name, cut to what a name may hold: stable across restarts, so that a
    restarted daemon finds its own MQTT session again."""
    import re
    import socket

    name = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:63].strip("-_")
    return name or "broadcastd"


class CoordinationSettings(Section):
    """Several daemons sharing one province (docs/scaling.md)."""

    mode: Literal["single", "leases"] = Field(
        default="single",
        description="`single`: this daemon runs every commune and no other may use its "
        "database. `leases`: several daemons on one PostgreSQL share the communes, each "
        "commune run by one daemon at a time through a lease in the database.",
    )
    lease_s: float = Field(
        default=15.0,
        ge=1.0,
        le=300.0,
        description="How long a commune stays with a daemon that stopped renewing (killed, "
        "cut off): the others take it over after this. Renewed every third of it.",
    )
    name: str = Field(
        default_factory=default_daemon_name,
        pattern=NAME_PATTERN,
        description="This daemon's name among the others (default: the host name); unique "
        "and stable across restarts. Its MQTT client id is `<broker.client_id>-<name>`.",
    )
    url: str | None = Field(
        default=None,
        description="This daemon's own address (e.g. http://srv-a.province:8080), shown "
        "in /status beside its name so an operator can reach the owner of a commune. "
        "Default: http.public_base_url, which on a province platform is better one name "
        "in front of all daemons (docs/scaling.md).",
    )


class HttpSettings(Section):
    listen: str = Field(default="127.0.0.1:8080", description="HOST:PORT the API listens on.")
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Base URL the speakers fetch audio from (this server, as they reach it).",
    )
    anonymous_read: bool = Field(
        default=False,
        description="Let anyone read /status, /broadcasts, /schedule and /metrics without a "
        "token. Only for a server nobody else can reach (the loopback demo); changes "
        "always need a token.",
    )
    tls: HttpTls | None = Field(
        default=None, description="Serve HTTPS with this certificate and key."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark the console's session cookie Secure (sent only over HTTPS) though "
        "this server speaks plain HTTP: for a TLS reverse proxy in front. With `tls` set it "
        "is Secure anyway.",
    )
    status_refresh_ms: int = Field(
        default=1000,
        ge=0,
        le=60_000,
        description="While acks stream in, /status is built again at most this often "
        "(its `generated_at` says when); 0: on every change. Each answer is kept until "
        "what it shows changes.",
    )
    max_connections: int = Field(
        default=1000,
        ge=8,
        le=100_000,
        description="Open HTTP connections at most (further ones get 503 or are closed); "
        "also kept below the process's file limit.",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="A client must send a whole request head within this; else it is closed.",
    )
    keep_alive_s: int = Field(
        default=5, ge=1, le=300, description="An idle kept-alive connection is closed after this."
    )

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _sep, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("write HOST:PORT, for example 0.0.0.0:8080")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("write an http:// or https:// URL the speakers can reach")
        return value.rstrip("/")

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class PathSettings(Section):
    schedules: Path = Field(default=Path("schedules"), description="Timetable folder.")
    audio_library: Path = Field(default=Path("audio_library"), description="Audio library.")


class ResendSettings(Section):
    first_after_s: float = Field(
        default=15.0, gt=0, description="Resend a `play` not acked `received` after this."
    )
    factor: float = Field(default=2.0, ge=1.0, description="Each next wait is this much longer.")
    max_delay_s: float = Field(default=300.0, gt=0, description="The longest wait.")


class DeliverySettings(Section):
    lead_time_s: float = Field(
        default=120.0,
        ge=0,
        le=86400,
        description="Send each `play` this long before its start (up to 24 h), so "
        "clusters fetch files and hold the broadcast if the link drops.",
    )
    resend: ResendSettings = Field(default_factory=ResendSettings)
    emergency_resend: ResendSettings = Field(
        default_factory=lambda: ResendSettings(first_after_s=3.0, factor=1.5, max_delay_s=15.0),
        description="Resends of a play of priority 100 (emergency): sooner than routine.",
    )
    replan_interval_s: float = Field(
        default=300.0, ge=5, description="How often the plan ahead is refreshed."
    )


class AnnounceSettings(Section):
    lead_s: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="An announcement for `now` starts this many seconds after it is "
        "asked for, so that the clusters fetch its files first.",
    )


class TtsSettings(Section):
    """Text to speech for `text:` items and `broadcastd audio say`: an engine on this server."""

    engine: Literal["espeak-ng", "command"] = Field(
        default="espeak-ng",
        description="`espeak-ng` (Debian's package, Vietnamese voice), or `command`: any "
        "local engine run from `command`.",
    )
    voice: str = Field(
        default="vi", min_length=1, description="espeak-ng voice; a label for `command`."
    )
    rate: int = Field(default=145, ge=80, le=400, description="espeak-ng words per minute.")
    command: str | None = Field(
        default=None,
        description="With `engine: command`: the command line; it reads the text on stdin "
        "and writes a WAV to `{wav}`, e.g. `piper --model /opt/vi.onnx --output_file {wav}`.",
    )
    timeout_s: float = Field(default=120.0, gt=0, le=3600, description="Longest synthesis.")
    abbreviations: dict[str, str] = Field(
        default_factory=dict,
        description="Abbreviations read out in full, added to the built-in ones "
        "(UBND, HĐND, ...), e.g. `NVH: nhà văn hóa`.",
    )

    @model_validator(mode="after")
    def _command_given(self) -> TtsSettings:
        if self.engine == "command" and (not self.command or "{wav}" not in self.command):
            raise ValueError(
                "engine `command` needs `command:` with `{wav}` where the WAV is written, "
                'e.g. "piper --model /opt/vi.onnx --output_file {wav}"'
            )
        if self.engine != "command" and self.command is not None:
            raise ValueError("`command:` is used only with `engine: command`: remove it")
        return self


class ConsoleSettings(Section):
    session_idle_min: float = Field(
        default=30.0,
        gt=0,
        le=7 * 24 * 60,
        description="A console session unused this many minutes ends (sign in again).",
    )
    session_max_h: float = Field(
        default=12.0,
        gt=0,
        le=30 * 24,
        description="A console session ends this many hours after sign-in, however much used.",
    )
    max_upload_mb: float = Field(
        default=200.0,
        gt=0,
        le=4096,
        description="The largest audio file the library page takes (MB); a bigger one is "
        "refused with a message before it is stored.",
    )


class LoggingSettings(Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: readable on a terminal, JSON lines otherwise."
    )
    timezone: str = Field(
        default=LOG_ZONE,
        description="The zone of log times, written with their offset (+07:00): the "
        "communes' clock, as the timetables, the API and the console show times.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}; write e.g. Asia/Ho_Chi_Minh") from None
        return zone


class Settings(Section):
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    paths: PathSettings = Field(default_factory=PathSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    announce: AnnounceSettings = Field(default_factory=AnnounceSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    coordination: CoordinationSettings = Field(default_factory=CoordinationSettings)

    @model_validator(mode="before")
    @classmethod
    def _broker_shorthand(cls, data: Any) -> Any:
        """`broker: embedded` is short for `broker: {url: embedded}`."""
        if isinstance(data, dict) and isinstance(data.get("broker"), str):
            return {**data, "broker": {"url": data["broker"]}}
        return data

    @field_validator("broker")
    @classmethod
    def _client_id_safe(cls, value: BrokerSettings) -> BrokerSettings:
        if "." in value.client_id and all(
            ID_PATTERN.match(part) for part in value.client_id.split(".", 1)
        ):
            raise ValueError("client_id looks like a cluster's (<commune>.<cluster>); pick another")
        return value

    @model_validator(mode="after")
    def _leases_on_postgresql(self) -> Settings:
        if self.coordination.mode == "leases" and not self.database.url.startswith("postgresql"):
            raise ValueError(
                "coordination.mode `leases` needs PostgreSQL, which all the daemons share: "
                "set database.url to postgresql+psycopg://USER@HOST/DB, or use mode `single`"
            )
        return self

    @property
    def client_id(self) -> str:
        """The MQTT client id: `broker.client_id`, and with leases `-<name>` after it, so
        that daemons sharing a broker never take each other's session."""
        if self.coordination.mode == "leases":
            return f"{self.broker.client_id}-{self.coordination.name}"
        return self.broker.client_id

    def resolve(self, base: Path) -> Settings:
        """Relative paths and SQLite files made absolute against `base` (the config's folder)."""
        paths = PathSettings(
            schedules=_absolute(self.paths.schedules, base),
            audio_library=_absolute(self.paths.audio_library, base),
        )
        broker_tls, http_tls = self.broker.tls, self.http.tls
        broker = self.broker
        if broker_tls is not None:
            broker = broker.model_copy(
                update={"tls": broker_tls.model_copy(update=_absolute_files(broker_tls, base))}
            )
        http = self.http
        if http_tls is not None:
            http = http.model_copy(
                update={"tls": http_tls.model_copy(update=_absolute_files(http_tls, base))}
            )
        return self.model_copy(
            update={
                "paths": paths,
                "database": DatabaseSettings(url=_absolute_sqlite(self.database.url, base)),
                "broker": broker,
                "http": http,
            }
        )

    def file_problems(self) -> list[str]:
        """TLS files that are missing or unreadable, each as `key: path: why`."""
        sections: list[tuple[str, BrokerTls | HttpTls | None]] = [
            ("broker.tls", self.broker.tls),
            ("http.tls", self.http.tls),
        ]
        problems: list[str] = []
        for prefix, section in sections:
            if section is None:
                continue
            for name, path in section.files().items():
                why = _unreadable(path)
                if why:
                    problems.append(listing([f"{prefix}.{name}", str(path), why], ": "))
        return problems

    def redacted(self) -> dict[str, Any]:
        """The settings as they may be logged: secrets hidden."""
        data = self.model_dump(mode="json")
        if data["broker"].get("password"):
            data["broker"]["password"] = "***"
        return data


def _absolute(path: Path, base: Path) -> Path:
    return path if path.is_absolute() else (base / path).resolve()


def _absolute_files(section: BrokerTls | HttpTls, base: Path) -> dict[str, Path]:
    return {name: _absolute(path, base) for name, path in section.files().items()}


def _unreadable(path: Path) -> str | None:
    """Why `path` cannot be read as a file, or None."""
    try:
        with path.open("rb"):
            pass
    except FileNotFoundError:
        return _("no such file")
    except IsADirectoryError:
        return _("is a folder, not a file")
    except OSError as exc:
        return _("cannot be read ({reason})").format(reason=exc.strerror)
    return None


def _absolute_sqlite(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return url
    path = Path(url[len(prefix):])
    return prefix + str(_absolute(path, base))


class SettingsError(Exception):
    """The configuration file cannot be used; the message lists every problem, with lines
    (a `Text`: `said_error(exc, lang)` says it in Vietnamese or English)."""


def _configuration_errors(lines: list[Text]) -> Text:
    return _("configuration errors:\n{lines}").format(lines=listing(lines, "\n"))


def _explain(error: Any, root: Any, model: type[BaseModel]) -> str:
    """One pydantic error as `line N: a -> b: message`, with a suggestion for typos."""
    from broadcastd.timetable.source import display_path, line_of

    path = tuple(error["loc"])
    line = line_of(root, path)
    message: str = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        known = _known_keys(model, path[:-1])
        close = difflib.get_close_matches(str(path[-1]), known, n=1)
        hint = (
            _("did you mean `{close}`?").format(close=close[0])
            if close
            else _("known keys: {keys}").format(keys=", ".join(known))
        )
        message = _("unknown key `{key}` ({hint})").format(key=path[-1], hint=hint)
    where = _("line {line}").format(line=line) if line else _("top")
    return _("{where}: {path}: {message}").format(
        where=where, path=display_path(root, path) or "(file)", message=message
    )


def _known_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    for segment in path:
        field = model.model_fields.get(str(segment))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def load_settings(path: Path) -> Settings:
    """Read, validate and resolve a config file; every problem in one SettingsError."""
    from pydantic import ValidationError

    from broadcastd.timetable.source import YamlSyntaxError, read_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(_(
            "{file}: cannot read the configuration ({reason}). Fix: give the right "
            "file with --config, or copy config/broadcastd.yaml there"
        ).format(file=str(path), reason=exc.strerror)) from exc
    try:
        data, root = read_yaml(text)
    except YamlSyntaxError as exc:
        where = f"{path}:{exc.line}" if exc.line is not None else str(path)
        raise SettingsError(_("{where}: {problem}. Fix: {hint}").format(
            where=where, problem=exc.problem, hint=exc.hint)) from exc
    try:
        settings = Settings.model_validate(data or {})
    except ValidationError as exc:
        lines = [
            listing([str(path), _explain(error, root, Settings)], ": ") for error in exc.errors()
        ]
        raise SettingsError(_configuration_errors(lines)) from exc
    resolved = settings.resolve(path.resolve().parent)
    problems = resolved.file_problems()
    if problems:
        lines = [
            _("{file}: {problem}. Fix: give the right file, readable by the daemon's user")
            .format(file=str(path), problem=problem)
            for problem in problems
        ]
        raise SettingsError(_configuration_errors(lines))
    return resolved
