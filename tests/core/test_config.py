import pytest

from citizenvoice import create_app
from citizenvoice.config import ConfigError, check_production, from_environment

STRONG = "k8Zr2pQ9vW4xY7mN1bC6dF3gH5jL0sTq"


def test_environment_variables_are_typed() -> None:
    settings = from_environment(
        {
            "CITIZENVOICE_PROXY_COUNT": "2",
            "CITIZENVOICE_PRODUCTION": "true",
            "OTHER": "x",
            "CITIZENVOICE_DATABASE_URL": "postgresql+psycopg://db/cv",
        }
    )
    assert settings == {
        "PROXY_COUNT": 2,
        "PRODUCTION": True,
        "DATABASE_URL": "postgresql+psycopg://db/cv",
    }


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"DEBUG": True, "SECRET_KEY": STRONG}, "DEBUG"),
        ({"SECRET_KEY": "dev-only-not-secret"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "a" * 40}, "SECRET_KEY"),
        ({"SECRET_KEY": STRONG, "WORKERS": 4, "RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT"),
    ],
)
def test_production_profile_refuses_unsafe_settings(config: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        check_production({"PRODUCTION": True, **config})


def test_production_profile_accepts_safe_settings() -> None:
    check_production(
        {
            "PRODUCTION": True,
            "SECRET_KEY": STRONG,
            "WORKERS": 4,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        }
    )


def test_create_app_refuses_to_start_in_production_with_debug(tmp_path) -> None:
    with pytest.raises(ConfigError):
        create_app(
            {
                "PRODUCTION": True,
                "DEBUG": True,
                "SECRET_KEY": STRONG,
                "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
            }
        )


def test_environment_overrides_instance_defaults(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CITIZENVOICE_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("CITIZENVOICE_MIN_SAMPLE", "50")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")
    assert app.config["MIN_SAMPLE"] == 50
