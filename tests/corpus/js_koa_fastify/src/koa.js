const Koa = require('koa');
const Router = require('@koa/router');

const app = new Koa();
const router = new Router();

router.get('/welcome', async (ctx) => {
  ctx.body = `<h2>Welcome back, ${ctx.query.user}</h2>`; // tavo-label: vuln xss
});

router.get('/welcome.txt', async (ctx) => {
  ctx.body = `Welcome back, ${ctx.query.user}`; // tavo-label: safe xss
});

router.get('/continue', async (ctx) => {
  ctx.redirect(ctx.query.returnTo); // tavo-label: vuln open-redirect
});

router.get('/continue-local', async (ctx) => {
  const target = String(ctx.query.returnTo || '');
  ctx.redirect(target.startsWith('/') && !target.startsWith('//') ? target : '/'); // tavo-label: safe open-redirect
});

app.use(router.routes());
