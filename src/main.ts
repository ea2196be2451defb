import { mount } from 'svelte';
import App from './ui/App.svelte';
import './ui/app.css';

export default mount(App, { target: document.getElementById('app')! });
