"""Settings, declared once as a table (name, default, help) and read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, default and help text."""

    name: str
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "RELANCE_DATABASE_URL",
        "",
        "URL SQLAlchemy de la base (par défaut : fichier SQLite relance.db du dossier courant).",
    ),
    Setting(
        "debug",
        "RELANCE_DEBUG",
        "",
        "Si non vide, affiche la trace complète d'une erreur interne.",
    ),
    Setting("output_dir", "RELANCE_OUTPUT_DIR", "relance-sortie",
            "Dossier des e-mails (.eml, transport fichier), courriers PDF et SMS produits."),
    Setting("smtp_host", "RELANCE_SMTP_HOST", "",
            "Serveur SMTP ; vide : les e-mails sont écrits en .eml dans le dossier de sortie."),
    Setting("smtp_port", "RELANCE_SMTP_PORT", "587", "Port SMTP."),
    Setting("smtp_security", "RELANCE_SMTP_SECURITY", "starttls",
            "Sécurité SMTP : starttls, ssl ou none."),
    Setting("smtp_user", "RELANCE_SMTP_USER", "", "Identifiant SMTP (facultatif)."),
    Setting("smtp_password", "RELANCE_SMTP_PASSWORD", "", "Mot de passe SMTP (facultatif)."),
    Setting("send_rate", "RELANCE_SEND_RATE", "0",
            "Nombre maximal de messages envoyés par minute (0 : sans limite)."),
    Setting("templates_dir", "RELANCE_TEMPLATES_DIR", "",
            "Dossier de modèles personnalisés (sous-dossiers fr/, en/), prioritaires."),
)

DEFAULT_SQLITE_FILE = "relance.db"


def get(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Value of a setting: the environment first, then its default."""
    env = os.environ if environ is None else environ
    for setting in SETTINGS:
        if setting.name == name:
            return env.get(setting.env, setting.default)
    raise KeyError(name)


def database_url(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The database URL: --db, else RELANCE_DATABASE_URL, else ./relance.db."""
    if explicit:
        return explicit
    url = get("database_url", environ)
    if url:
        return url
    return f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"
