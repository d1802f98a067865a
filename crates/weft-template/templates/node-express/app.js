import express from 'express';

export const app = express();
app.use(express.json());

const todos = [];

app.get('/api/todos', (_req, res) => res.json(todos));
app.post('/api/todos', (req, res) => {
  const title = String(req.body?.title ?? '').trim();
  if (!title) return res.status(400).json({ error: 'a todo needs a title' });
  const todo = { id: todos.length + 1, title, done: false };
  todos.push(todo);
  res.status(201).json(todo);
});
