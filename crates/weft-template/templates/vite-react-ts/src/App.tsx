import { useState } from 'react';

export default function App() {
  const [count, setCount] = useState(0);
  return (
    <main style={{ fontFamily: 'system-ui', padding: 32 }}>
      <h1>{{name}}</h1>
      <button onClick={() => setCount((c) => c + 1)}>Clicked {count} times</button>
      <p>Edit src/App.tsx and save: the page updates itself.</p>
    </main>
  );
}
