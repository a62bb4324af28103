from pathlib import Path

SNAPSHOT_PATH = Path(__file__).resolve().parents[1] / "openapi.yaml"
