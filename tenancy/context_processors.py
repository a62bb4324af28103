from tenancy.models import role_at_least
from tenancy.selectors import membership_list_for_user


def tenancy(request):
    """Active organization, the user's role helpers and the organization switcher list."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"organization": getattr(request, "organization", None)}
    role = membership.role
    return {
        "organization": membership.organization,
        "membership": membership,
        "can_edit": role_at_least(role, "csm"),
        "can_manage": role_at_least(role, "manager"),
        "can_admin": role_at_least(role, "admin"),
        "switchable_memberships": lambda: list(membership_list_for_user(user=request.user)),
    }
