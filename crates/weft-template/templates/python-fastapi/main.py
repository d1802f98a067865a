from fastapi import FastAPI

app = FastAPI(title="{{name}}")


@app.get("/")
def hello(name: str = "world") -> dict[str, str]:
    return {"message": f"Hello, {name}!"}
