/*
 * The sample shop: a small single-page app over the tracker. Each view is a route under /demo/;
 * links change the route with history.pushState (the tracker sends a page view for each), and
 * the shop sends the funnel's events: product_view, add_to_cart, checkout, purchase.
 */
(function () {
  'use strict';
  var PRODUCTS = [
    { id: 'sku-1001', name: 'Trail boots', category: 'shoes', brand: 'Acme', price: 129 },
    { id: 'sku-1002', name: 'Canvas tote', category: 'bags', brand: 'Northwind', price: 39 },
    { id: 'sku-1003', name: 'Wool scarf', category: 'accessories', brand: 'Globex', price: 25 },
    { id: 'sku-1004', name: 'Rain jacket', category: 'outerwear', brand: 'Initech', price: 89 },
  ];
  var cart = [];
  var view = document.getElementById('view');

  clickstream.init({ endpoint: window.location.origin, flushIntervalMs: 500 });

  function productById(id) {
    return PRODUCTS.filter(function (product) { return product.id === id; })[0];
  }
  function total() {
    return cart.reduce(function (sum, product) { return sum + product.price; }, 0);
  }
  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === 'onclick') node.addEventListener('click', attributes[name]);
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) { node.append(child); });
    return node;
  }
  function go(path) {
    history.pushState({}, '', path);
    render();
  }

  var views = {
    home: function () {
      return [element('h1', {}, ['Products']), element('div', { class: 'grid' }, PRODUCTS.map(function (product) {
        return element('div', { class: 'card' }, [
          element('h3', {}, [element('a', { href: '/demo/products/' + product.id, 'data-link': '', 'data-product': product.id }, [product.name])]),
          element('p', { class: 'price' }, ['$' + product.price]),
        ]);
      }))];
    },
    product: function (id) {
      var product = productById(id);
      if (!product) return [element('h1', {}, ['Not found'])];
      clickstream.track('product_view', { product: product });
      return [element('h1', {}, [product.name]), element('p', {}, [product.brand + ' · ' + product.category]), element('p', { class: 'price' }, ['$' + product.price]),
        element('button', { id: 'add-to-cart', onclick: function () {
          cart.push(product);
          clickstream.track('add_to_cart', { product: product });
          go('/demo/cart');
        } }, ['Add to cart'])];
    },
    cart: function () {
      return [element('h1', {}, ['Cart']), element('ul', {}, cart.map(function (product) { return element('li', {}, [product.name + ' — $' + product.price]); })),
        element('p', { class: 'price', id: 'cart-total' }, ['Total $' + total()]),
        element('button', { id: 'checkout', onclick: function () {
          clickstream.track('checkout', { value: total(), items: cart.length });
          go('/demo/checkout');
        } }, ['Checkout'])];
    },
    checkout: function () {
      return [element('h1', {}, ['Checkout']), element('p', {}, ['Pay $' + total() + ' (no real payment)']),
        element('button', { id: 'purchase', onclick: function () {
          clickstream.track('purchase', { value: total(), product: cart[0], items: cart.length, order_id: 'order-' + Date.now() });
          cart = [];
          go('/demo/thank-you');
        } }, ['Place order'])];
    },
    thanks: function () {
      return [element('h1', { id: 'thank-you' }, ['Thank you!']), element('a', { href: '/demo/', 'data-link': '' }, ['Keep shopping'])];
    },
  };

  function render() {
    var path = window.location.pathname.replace(/\/+$/, '');
    var match = /^\/demo\/products\/([\w-]+)$/.exec(path);
    var nodes = match ? views.product(match[1]) : path === '/demo/cart' ? views.cart() : path === '/demo/checkout' ? views.checkout() : path === '/demo/thank-you' ? views.thanks() : views.home();
    view.replaceChildren.apply(view, nodes);
    document.getElementById('cart-count').textContent = String(cart.length);
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[data-link]');
    if (!link) return;
    event.preventDefault();
    go(link.getAttribute('href'));
  });
  window.addEventListener('popstate', render);
  render();
})();
