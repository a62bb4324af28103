from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch


def home(request):
    """Signed-in members land on My day (their accounts until it exists); visitors see the welcome."""
    if not request.user.is_authenticated:
        return render(request, "home_public.html")
    if request.membership is None:
        return redirect("organization_create")
    try:
        return redirect("my_day")
    except NoReverseMatch:
        return redirect("account_list")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
