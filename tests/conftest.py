import pytest
from django.contrib.auth.models import Group, User


def _user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def maya(db):
    """Marketing: owns campaigns."""
    return _user("maya", "marketing")


@pytest.fixture
def mark(db):
    """A second marketer, who does not own maya's campaigns."""
    return _user("mark", "marketing")


@pytest.fixture
def ishaan(db):
    """Ops inventory: signs off stock."""
    return _user("ishaan", "ops_inventory")


@pytest.fixture
def lata(db):
    """Ops logistics: signs off couriers and dispatch."""
    return _user("lata", "ops_logistics")


@pytest.fixture
def sana(db):
    """Ops support: signs off customer support (when the brand has switched it on)."""
    return _user("sana", "ops_support")


@pytest.fixture
def omar(db):
    """Ops lead: every sign-off, pause, escalations."""
    return _user("omar", "ops_lead")


@pytest.fixture
def outsider(db):
    """Signed in, but in no role."""
    return _user("outsider")


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: row locks are a no-op on SQLite (CI runs this in its 2nd pass)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def axes_off(settings):
    """The sign-in lock-out (django-axes) is off for tests that are not about it: many of them
    sign in with the test client, which calls authenticate() without a request, as axes
    refuses. tests/test_security_lockout.py turns it on."""
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def sign_in_throttle_off(settings):
    """The per-address limits on sign-in attempts are off for tests that are not about them:
    every test client signs in from 127.0.0.1, and the counts live in the cache, which outlives
    a test (Redis outlives the run). tests/test_security_throttle.py turns them on."""
    settings.MOPSYNC_LOGIN_RATE = None
    settings.MOPSYNC_TOKEN_RATE = None


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def tasks_in_process():
    """Tasks run in the test's process, whatever REDIS_URL says, so that unit tests never
    depend on a worker. tests/test_celery_integration.py turns this off for a real worker."""
    from mopsync.celery import app

    was = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was


def pytest_sessionfinish(session, exitstatus):
    """Schemathesis reports how many cases it ran (and fails if MOPSYNC_FUZZ_MIN_CASES is not met)."""
    import sys

    fuzz = sys.modules.get("tests.test_api_fuzz")
    if fuzz is not None:
        fuzz.report_cases(session)
