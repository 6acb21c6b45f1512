from ninja import NinjaAPI

api = NinjaAPI(title="Cityline API", version="1", urls_namespace="api-v1")
