"""Flask extensions, created unbound and bound in :func:`citizenvoice.create_app`."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from citizenvoice.core.db import Base
from citizenvoice.core.ratelimit import client_key

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
#: Default limits apply to every route; the tip box exempts itself (it never reads
#: client addresses).
limiter = Limiter(key_func=client_key, default_limits=["600 per minute"])

if TYPE_CHECKING:  # mypy sees the typed declarative base; at run time it is Flask-SQLAlchemy's
    from citizenvoice.core.db import Base as Model
else:
    Model = db.Model
