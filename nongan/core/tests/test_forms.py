"""The one error-to-form helper: a service's ValidationError onto the form's fields, the rest to the page."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from nongan.core.forms import errors_to_form


class _Form(forms.Form):
    name = forms.CharField()
    phone = forms.CharField(required=False)


def _bound():
    form = _Form({"name": "x", "phone": ""})
    assert form.is_valid()
    return form


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_field_errors_go_onto_their_fields_and_the_rest_onto_the_form():
    form = _bound()
    errors_to_form(ValidationError({"name": ["名称重复。"], "region": ["不在辖区内。"]}), form)
    assert form.errors == {"name": ["名称重复。"], "__all__": ["不在辖区内。"]}


def test_an_error_without_fields_is_a_non_field_error():
    form = _bound()
    errors_to_form(ValidationError(["第一条。", "第二条。"]), form)
    assert form.errors == {"__all__": ["第一条。", "第二条。"]}


def test_with_a_request_the_leftovers_become_messages():
    form, request = _bound(), _request()
    errors_to_form(ValidationError({"phone": ["号码错误。"], "__all__": ["已撤销。"]}), form, request)
    assert form.errors == {"phone": ["号码错误。"]}
    assert [m.message for m in get_messages(request)] == ["已撤销。"]


def test_without_a_form_everything_becomes_messages():
    request = _request()
    errors_to_form(ValidationError({"reason": ["请填写原因。"]}), request=request)
    assert [m.message for m in get_messages(request)] == ["请填写原因。"]


def test_it_needs_a_form_or_a_request():
    with pytest.raises(ValueError):
        errors_to_form(ValidationError("x"))
