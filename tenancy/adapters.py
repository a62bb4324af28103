from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_signup_redirect_url(self, request):
        token = request.session.get("pending_invitation_token")
        if token:
            return reverse("invitation_accept", args=[token])
        return super().get_signup_redirect_url(request)

    def get_login_redirect_url(self, request):
        token = request.session.get("pending_invitation_token")
        if token:
            return reverse("invitation_accept", args=[token])
        return super().get_login_redirect_url(request)
