"""REST API v1 routes. Every tenant resource registers here (tests/isolation walks them)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import AccountViewSet, ContactViewSet
from tenancy.api import MeView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
