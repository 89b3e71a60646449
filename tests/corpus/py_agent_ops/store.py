"""Stand-ins for the service's data access (the real ones talk to its database)."""


class _Incidents:
    def delete_incident(self, incident_id: str) -> None:
        print("closing", incident_id)

    def status(self, incident_id: str) -> str:
        return f"{incident_id}: open"


class _Users:
    def remove(self, user_id: str) -> None:
        print("removing", user_id)


class _Runbooks:
    def search(self, question: str, limit: int) -> list[str]:
        return [question][:limit]


incidents, users, runbooks = _Incidents(), _Users(), _Runbooks()
