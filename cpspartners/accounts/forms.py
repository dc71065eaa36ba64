"""Forms for registering, signing in and looking after one's own account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError

from cpspartners import partner_lookup
from cpspartners.accounts import passwords
from cpspartners.formtools import PlainText, SchoolField, chosen_values, options, page_language, strip
from cpspartners.taxonomy import STUDENT_GRADES

PASSWORD_HELP = _l("At least 10 characters.")
LANGUAGE_PAIRS = (("en", "English"), ("es", "Español"))


def not_common(form, field):
    """ASVS 6.2.4: not one of the 10,000 most common passwords (``accounts.passwords``)."""
    if field.data and passwords.is_common(field.data):
        raise ValidationError(_l("That password is one of the most common ones. Choose another."))


def _password(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Enter a password.")),
            Length(min=10, max=200, message=_l("Use 10 to 200 characters.")),
            not_common,
        ],
        description=PASSWORD_HELP,
    )


def _password_again(label):
    """The second password box, which must match the field named ``password``."""
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Enter the password again.")),
            EqualTo("password", _l("The two passwords are different.")),
        ],
    )


def _email():
    return EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("That email is too long.")),
            Email(_l("Enter an email address like name@example.org."), check_deliverability=False),
        ],
    )


class SignInForm(FlaskForm):
    email = _email()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class RegisterForm(FlaskForm):
    role = RadioField(
        _l("I am a"),
        choices=options(
            [
                ("student", _l("Student")),
                ("teacher", _l("Teacher")),
                ("partner_staff", _l("Staff of a community partner")),
            ]
        ),
        validators=[InputRequired(_l("Choose what kind of account you need."))],
    )
    name = StringField(
        _l("First name or display name"),
        filters=[strip],
        validators=[Optional(), Length(max=120, message=_l("Use at most 120 characters.")), PlainText()],
        description=_l("Optional. Students: a first name is enough."),
    )
    email = _email()
    password = _password(_l("Password"))
    confirm = _password_again(_l("Password again"))
    school_id = SchoolField(
        _l("School"), description=_l("Students and teachers: your CPS school. Type part of its name.")
    )
    grade = SelectField(
        _l("Grade"),
        coerce=int,
        validate_choice=False,
        choices=options([(0, _l("Choose a grade"))] + [(g, str(g)) for g in STUDENT_GRADES]),
        description=_l("Students only."),
    )
    organization = StringField(
        _l("Your organization"),
        filters=[strip],
        validators=[Length(max=200, message=_l("Use at most 200 characters.")), PlainText()],
        description=_l("Partner staff: your organization's name as the directory lists it."),
    )
    # Offered only once a name was typed that matches more than one organization, or not exactly.
    partner_id = RadioField(_l("Organizations that match"), coerce=int, validate_choice=False, choices=[])
    new_partner_name = StringField(
        _l("Or propose a new organization"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=_l("Use at most 200 characters.")), PlainText()],
    )
    language = SelectField(_l("Preferred language for email"), choices=options(LANGUAGE_PAIRS), default=page_language)

    def validate_school_id(self, field):
        if self.role.data in ("student", "teacher") and field.data is None:
            raise ValidationError(_l("Choose your school."))

    def validate_grade(self, field):
        if self.role.data == "student" and field.data not in STUDENT_GRADES:
            raise ValidationError(_l("Choose your grade (6 to 12)."))

    def _needs_organization(self):
        return self.role.data == "partner_staff" and not self.new_partner_name.data

    def validate_organization(self, field):
        if self._needs_organization():
            partner_lookup.check_name(
                field, self.partner_id, _l("Type your organization's name, or propose a new one."), can_propose=True
            )

    def validate_partner_id(self, field):
        if self._needs_organization():
            partner_lookup.check_choice(field, _l("Choose your organization from the list, or propose a new one."))
        elif field.data and field.data not in chosen_values(field):
            raise ValidationError(_l("Choose an organization from the list."))


class ResetRequestForm(FlaskForm):
    email = _email()


class ResetPasswordForm(FlaskForm):
    password = _password(_l("New password"))
    confirm = _password_again(_l("New password again"))


class ProfileForm(FlaskForm):
    name = StringField(
        _l("First name or display name"),
        filters=[strip],
        validators=[Optional(), Length(max=120, message=_l("Use at most 120 characters.")), PlainText()],
    )
    language = SelectField(_l("Preferred language for email"), choices=options(LANGUAGE_PAIRS))


class SchoolForm(FlaskForm):
    """A student's school and grade, which change when they move up or move school."""

    school_id = SchoolField(_l("School"))
    grade = SelectField(
        _l("Grade"), coerce=int, choices=options([(g, str(g)) for g in STUDENT_GRADES]), validate_choice=False
    )

    def validate_school_id(self, field):
        if field.data is None:
            raise ValidationError(_l("Choose your school."))

    def validate_grade(self, field):
        if field.data not in STUDENT_GRADES:
            raise ValidationError(_l("Choose your grade (6 to 12)."))


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)]
    )
    password = _password(_l("New password"))
    confirm = _password_again(_l("New password again"))


class TwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        filters=[strip],
        validators=[DataRequired(_l("Type the code.")), Length(max=20)],
        description=_l("6 digits, or a recovery code like 1a2b3-4c5d6."),
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("The 6-digit code your app shows"),
        filters=[strip],
        validators=[DataRequired(_l("Type the code.")), Length(max=20)],
    )
