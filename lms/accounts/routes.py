from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import services
from lms.accounts.forms import LoginForm, PasswordForm
from lms.core.errors import DomainError
from lms.core.forms import put_error
from lms.core.web import safe_next

bp = Blueprint("accounts", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("progress.home"))


def _fresh_session() -> None:
    """A clean cookie session on sign-in and sign-out (no fixation); the language stays."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/masuk", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.nip.data, form.password.data, request.remote_addr or "")
        except DomainError as exc:
            put_error(form, exc, "password")
            status = exc.status
            if isinstance(exc, services.LoginThrottled):
                headers["Retry-After"] = str(exc.retry_after)
        else:
            services.start_session(
                user,
                remember=form.remember.data,
                user_agent=request.user_agent.string,
                ip=request.remote_addr or "",
            )
            _fresh_session()
            session.permanent = False  # without "keep me signed in": gone when the browser closes
            login_user(
                user, remember=form.remember.data, duration=current_app.config["REMEMBER_COOKIE_DURATION"]
            )
            return redirect(_safe_next(form.next.data))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status, headers


@bp.post("/keluar")
def logout():
    if current_user.is_authenticated:
        services.end_session(current_user.session_token)
    logout_user()
    _fresh_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/akun", methods=["GET", "POST"])
@login_required
def account():
    """The signed-in person's account: change the password, see and end sessions."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.password.data, form.confirm_password.data
            )
        except DomainError as exc:
            put_error(form, exc, "password")
        else:
            flash(
                _("Your password is changed. You stay signed in here; other devices are signed out."),
                "success",
            )
            return redirect(url_for(".account"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "accounts/account.html",
        form=form,
        sessions=services.sessions_of(current_user),
        device=services.device_label,
    ), status


@bp.post("/akun/hemat-data")
@login_required
def save_data():
    """Data saver: pictures in modules load only when tapped."""
    services.set_save_data(current_user, request.form.get("save_data") == "1")
    if current_user.save_data:
        flash(_("Data saver is on: pictures in modules load only when you tap them."), "success")
    else:
        flash(_("Data saver is off: pictures in modules load with the page."), "success")
    return redirect(url_for(".account"))


@bp.post("/akun/keluar-semua")
@login_required
def logout_everywhere():
    services.end_sessions(current_user)
    logout_user()
    _fresh_session()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("accounts.login"))


# More pages on this blueprint: activation codes, and roles on an employee's admin page.
from lms.accounts import activation_routes, admin_routes  # noqa: E402,F401
