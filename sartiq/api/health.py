from django.db import connection
from django.http import JsonResponse


def health_check(request):
    """Liveness and database reachability, for load balancers and docker-compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse(True, safe=False)
